-- Up Migration

-- Agents answer conversations through the Conversations API with a `wk_` key. Only the key's SHA-256 is stored
-- (192 random bits: nothing to brute-force, so no salt). A bot is an agent that is a program (the echo-bot
-- example); both authenticate the same way and differ only in the author kind their messages carry.
CREATE TABLE agents (
  sid           text PRIMARY KEY CONSTRAINT agents_sid_format CHECK (sid ~ '^AG[0-9a-f]{32}$'),
  account_sid   text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  friendly_name text NOT NULL CONSTRAINT agents_friendly_name_length CHECK (char_length(friendly_name) BETWEEN 1 AND 128),
  kind          text NOT NULL DEFAULT 'agent' CONSTRAINT agents_kind_valid CHECK (kind IN ('agent', 'bot')),
  key_hash      bytea NOT NULL CONSTRAINT agents_key_hash_unique UNIQUE
                CONSTRAINT agents_key_hash_sha256 CHECK (octet_length(key_hash) = 32),
  key_prefix    text NOT NULL CONSTRAINT agents_key_prefix_format CHECK (key_prefix ~ '^wk_[A-Za-z0-9_-]{1,13}$'),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_account_sid_idx ON agents (account_sid, created_at);

-- Removing an agent (deleting its row) revokes its key on every replica at commit: the agent cache listens on
-- the account channel like the deployment-key cache does.
CREATE TRIGGER agents_notify_change AFTER INSERT OR UPDATE OR DELETE ON agents
  FOR EACH ROW EXECUTE FUNCTION notify_account_change();

-- Agent and bot messages. The author's SID and name are copied onto the message, not referenced: a removed
-- agent's messages keep the name they were sent with.
ALTER TABLE messages DROP CONSTRAINT messages_author_valid;
ALTER TABLE messages
  ADD CONSTRAINT messages_author_valid CHECK (author IN ('guest', 'system', 'agent', 'bot')),
  ADD COLUMN author_agent_sid text CONSTRAINT messages_author_agent_sid_format CHECK (author_agent_sid ~ '^AG[0-9a-f]{32}$'),
  ADD COLUMN author_name text CONSTRAINT messages_author_name_length CHECK (char_length(author_name) BETWEEN 1 AND 256),
  ADD CONSTRAINT messages_agent_has_name CHECK ((author IN ('agent', 'bot')) = (author_agent_sid IS NOT NULL AND author_name IS NOT NULL));

-- Open or closed; a closed conversation takes no more messages (the guest starts a new one).
-- last_activity_at orders the agents' list (newest activity first); agent_read_position is how far the account's
-- agents have read (a conversation event position), so unread = guest message events after it.
ALTER TABLE conversations
  ADD COLUMN status text NOT NULL DEFAULT 'open' CONSTRAINT conversations_status_valid CHECK (status IN ('open', 'closed')),
  ADD COLUMN closed_at timestamptz,
  ADD COLUMN last_activity_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN agent_read_position bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT conversations_closed_at_matches_status CHECK ((status = 'closed') = (closed_at IS NOT NULL));
UPDATE conversations c SET last_activity_at = coalesce((SELECT max(m.created_at) FROM messages m WHERE m.conversation_sid = c.sid), c.created_at);
CREATE INDEX conversations_account_activity_idx ON conversations (account_sid, status, last_activity_at DESC, sid DESC);

-- The message event carries who wrote it (kind, and for agents and bots their SID and name), so streams and
-- webhooks never need a second read. The conversation learns its last activity in the same transaction.
CREATE OR REPLACE FUNCTION messages_append_created_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM append_conversation_event(NEW.conversation_sid, 'message.created', jsonb_build_object(
    'messageSid', NEW.sid, 'conversationSid', NEW.conversation_sid, 'author', NEW.author,
    'authorName', NEW.author_name, 'agentSid', NEW.author_agent_sid,
    'body', NEW.body, 'createdAt', NEW.created_at));
  UPDATE conversations SET last_activity_at = NEW.created_at WHERE sid = NEW.conversation_sid;
  RETURN NULL;
END $$;

-- Down Migration

CREATE OR REPLACE FUNCTION messages_append_created_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM append_conversation_event(NEW.conversation_sid, 'message.created', jsonb_build_object(
    'messageSid', NEW.sid, 'conversationSid', NEW.conversation_sid, 'author', NEW.author,
    'body', NEW.body, 'createdAt', NEW.created_at));
  RETURN NULL;
END $$;
DROP INDEX conversations_account_activity_idx;
ALTER TABLE conversations
  DROP CONSTRAINT conversations_closed_at_matches_status,
  DROP COLUMN agent_read_position,
  DROP COLUMN last_activity_at,
  DROP COLUMN closed_at,
  DROP COLUMN status;
DELETE FROM messages WHERE author IN ('agent', 'bot');
ALTER TABLE messages
  DROP CONSTRAINT messages_agent_has_name,
  DROP COLUMN author_name,
  DROP COLUMN author_agent_sid,
  DROP CONSTRAINT messages_author_valid,
  ADD CONSTRAINT messages_author_valid CHECK (author IN ('guest', 'system'));
DROP TRIGGER agents_notify_change ON agents;
DROP TABLE agents;
