export const USAGE = `Usage: webchat-admin <command> [options]

Operator commands for the webchat account store (DATABASE_URL, default the local private cluster).

Accounts
  accounts create --name NAME [--sid AC...] [--json]   create an account (active, default configuration)
  accounts list [--json]                               every account with its configuration and key prefixes
  accounts show SID [--json]                           one account
  accounts suspend SID                                 its keys stop working (same answer as an unknown key)
  accounts activate SID                                undo a suspension

Deployment keys
  keys issue SID [--json]          issue a key; it is printed once and only its hash is stored
  keys revoke KEY_ID|PREFIX|KEY    revoke by id (UUID), listed prefix (dk_..., at least 8 characters) or the key

Agents (answer conversations through the Conversations API and the desk at /desk/)
  agents add SID --name NAME [--bot] [--json]   add an agent (or a bot); its wk_ key is printed once, only its hash is stored
  agents list SID [--json]                      the account's agents and bots with their key prefixes
  agents remove AGENT_SID                       remove it: its key stops working on every replica; its messages stay

Configuration
  config set SID [--origins A,B] [--sensitivity off|low|medium|high] [--ttl SECONDS]
                 [--welcome TEXT] [--address-sid IG...] [--json]
      --origins      at most 10, each scheme://host[:port] (http or https, no path) or https://*.domain.tld;
                     an empty value clears the list (then every origin is allowed)
      --welcome, --address-sid   an empty value clears them

Development
  migrate [--create-database]      apply pending migrations
  seed-demo [--json]               the demo account (allowed origin http://localhost:3000) and its stable key

Exit codes: 0 done, 1 failed (unknown account, database unreachable, ...), 2 bad arguments.
`;
