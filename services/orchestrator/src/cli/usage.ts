export const USAGE = `Usage: webchat-admin <command> [options]

Operator commands for the webchat account store: DATABASE_URL, or else the local private cluster on
127.0.0.1:WEBCHAT_PG_PORT (default 54320). The database used is printed on stderr before connecting.

Accounts
  accounts create --name NAME [--sid AC...] [--json]   create an account (active, default configuration)
  accounts list [--json]                               every account with its configuration and key prefixes
  accounts show SID [--json]                           one account
  accounts suspend SID                                 its keys stop working (same answer as an unknown key)
  accounts activate SID                                undo a suspension

Deployment keys
  keys issue SID [--json]          issue a key; it is printed once and only its hash is stored (warns when the
                                   account has no allowed origins: every website can then use the key)
  keys revoke KEY_ID|PREFIX|KEY    revoke by id (UUID), listed prefix (dk_..., at least 8 characters) or the key

Agents (answer conversations through the Conversations API and the desk at /desk/)
  agents add SID --name NAME [--bot] [--json]   add an agent (or a bot); its wk_ key is printed once, only its hash is stored
  agents list SID [--json]                      the account's agents and bots with their key prefixes
  agents remove AGENT_SID                       remove it: its key stops working on every replica; its messages stay
Identity secrets (customer-signed identity tokens, see docs/identity-proof.md)
  identity-secret rotate SID [--json]       issue a new secret (printed once; stored encrypted); the old one
                                            keeps verifying until retired
  identity-secret retire-previous SID       stop accepting the secret before the last rotation

Configuration
  config set SID [--origins A,B] [--sensitivity off|low|medium|high] [--ttl SECONDS]
                 [--welcome TEXT] [--address-sid IG...] [--json]
      --origins      at most 10, each scheme://host[:port] (http or https, no path) or https://*.domain.tld;
                     an empty value clears the list (then every origin is allowed)
      --welcome, --address-sid   an empty value clears them
  config set SID [--brand-color '#1f4fd1'] [--position left|right] [--title TEXT] [--subtitle TEXT]
      the widget's look; the colour must give white text a contrast of at least 4.5:1 (WCAG AA);
      an empty value goes back to the widget's default
  config import SID FILE [--json]  replace the widget configuration with a JSON file: brandColor, position,
                                   title, subtitle, welcomeMessage, fields (pre-engagement form), texts
                                   (per language); every problem in the file is listed, nothing is written
  config show SID                  the widget configuration in the import format

Logs
  logs identity-ref IDENTITY       how the services' log lines name this guest (id_ + a keyed hash under
                                   LOG_IDENTITY_KEY, which must be their value): grep the logs for it

Refused origins
  origins refused SID [--json]     the most recent distinct origins the allowed-origin check refused
                                   (at most 20, with counts and first/last seen): "why does the widget
                                   not work on our staging site?"

Webhooks (signed per Standard Webhooks; delivered by the webhook dispatcher)
  webhooks add SID --url URL [--events message.created,conversation.created,conversation.closed] [--json]
                                   prints the signing secret once (production: https URLs only)
  webhooks list SID [--json]       webhooks remove ID       webhooks disable ID       webhooks enable ID
  webhooks rotate-secret ID [--overlap-seconds N]   new secret, printed once; the old one also signs for N s (86400)
  webhooks deliveries SID [--failed] [--since 2h|ISO-TIME] [--json]   every attempt: time, status, latency, never the body
  webhooks replay EVENT_ID         webhooks replay SID --since TIME   (SID: AC... or CH...) same event ids again

Development
  migrate [--create-database]      apply pending migrations
  seed-demo [--echo-bot] [--json]  the demo account (allowed origin http://localhost:3000) and its stable key;
                                   --echo-bot: also the bot "Echo" (examples/echo-bot), the same one every run

Exit codes: 0 done, 1 failed (unknown account, database unreachable, ...), 2 bad arguments.
`;
