-- Up Migration

-- The conversation event log: one row per thing that happened in a conversation, written by triggers in the same
-- transaction as the change, so no writer (guest, agent, bot, CLI) can store a message without its event and no
-- event exists for a change that rolled back. It is what live streams replay from (Last-Event-ID) and what
-- webhook delivery reads from (transactional outbox).
--
-- `position` counts per conversation without gaps. It is taken from the conversation row under that row's lock,
-- which the writer holds until commit, so positions of one conversation become visible in order: a reader that
-- has seen position N never later finds a committed N-1. (The global `id` gives no such promise across
-- conversations: two transactions can commit out of id order.)
ALTER TABLE conversations
  ADD COLUMN last_event_position bigint NOT NULL DEFAULT 0
    CONSTRAINT conversations_last_event_position_positive CHECK (last_event_position >= 0);

CREATE TABLE conversation_events (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_sid        text NOT NULL CONSTRAINT conversation_events_sid_format CHECK (event_sid ~ '^EV[0-9a-f]{32}$')
                     CONSTRAINT conversation_events_sid_unique UNIQUE,
  account_sid      text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  conversation_sid text NOT NULL REFERENCES conversations (sid) ON DELETE CASCADE,
  position         bigint NOT NULL,
  type             text NOT NULL CONSTRAINT conversation_events_type_format CHECK (type ~ '^[a-z]+(\.[a-z_]+)+$'),
  data             jsonb NOT NULL CONSTRAINT conversation_events_data_object CHECK (jsonb_typeof(data) = 'object'),
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT conversation_events_position_unique UNIQUE (conversation_sid, position)
);
CREATE INDEX conversation_events_account_id_idx ON conversation_events (account_sid, id);

-- Appends one event to a conversation and announces it on the `conversation_events` channel (delivered at commit,
-- only if the transaction commits). The payload names the event, never its content: listeners read the row.
CREATE FUNCTION append_conversation_event(p_conversation_sid text, p_type text, p_data jsonb) RETURNS conversation_events
LANGUAGE plpgsql AS $$
DECLARE
  appended conversation_events;
  v_account_sid text;
  v_position bigint;
BEGIN
  UPDATE conversations SET last_event_position = last_event_position + 1
   WHERE sid = p_conversation_sid
  RETURNING account_sid, last_event_position INTO v_account_sid, v_position;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation % does not exist', p_conversation_sid USING ERRCODE = 'foreign_key_violation';
  END IF;
  INSERT INTO conversation_events (event_sid, account_sid, conversation_sid, position, type, data)
  VALUES ('EV' || replace(gen_random_uuid()::text, '-', ''), v_account_sid, p_conversation_sid, v_position, p_type, p_data)
  RETURNING * INTO appended;
  PERFORM pg_notify('conversation_events', json_build_object(
    'accountSid', appended.account_sid, 'conversationSid', appended.conversation_sid,
    'position', appended.position, 'id', appended.id)::text);
  RETURN appended;
END $$;

CREATE FUNCTION conversations_append_created_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM append_conversation_event(NEW.sid, 'conversation.created', jsonb_build_object(
    'conversationSid', NEW.sid, 'accountSid', NEW.account_sid,
    'customerFriendlyName', NEW.customer_friendly_name, 'createdAt', NEW.created_at));
  RETURN NULL;
END $$;
CREATE TRIGGER conversations_created_event AFTER INSERT ON conversations
  FOR EACH ROW EXECUTE FUNCTION conversations_append_created_event();

CREATE FUNCTION messages_append_created_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM append_conversation_event(NEW.conversation_sid, 'message.created', jsonb_build_object(
    'messageSid', NEW.sid, 'conversationSid', NEW.conversation_sid, 'author', NEW.author,
    'body', NEW.body, 'createdAt', NEW.created_at));
  RETURN NULL;
END $$;
CREATE TRIGGER messages_created_event AFTER INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION messages_append_created_event();

-- Down Migration

DROP TRIGGER messages_created_event ON messages;
DROP FUNCTION messages_append_created_event();
DROP TRIGGER conversations_created_event ON conversations;
DROP FUNCTION conversations_append_created_event();
DROP FUNCTION append_conversation_event(text, text, jsonb);
DROP TABLE conversation_events;
ALTER TABLE conversations DROP COLUMN last_event_position;
