-- Up Migration

-- Webhook endpoints: where an account's conversation events are delivered, signed per Standard Webhooks.
-- The signing secret must be readable to sign (HMAC), so it is stored as given; `previous_secret` keeps signing
-- beside the new one until `previous_secret_expires_at` (rotation overlap, as the standard allows).
CREATE TABLE webhook_endpoints (
  id                         text PRIMARY KEY CONSTRAINT webhook_endpoints_id_format CHECK (id ~ '^WH[0-9a-f]{32}$'),
  account_sid                text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  url                        text NOT NULL CONSTRAINT webhook_endpoints_url_length CHECK (length(url) BETWEEN 8 AND 2048),
  events                     text[] NOT NULL CONSTRAINT webhook_endpoints_events_not_empty CHECK (cardinality(events) > 0),
  secret                     text NOT NULL CONSTRAINT webhook_endpoints_secret_format CHECK (secret ~ '^whsec_'),
  previous_secret            text,
  previous_secret_expires_at timestamptz,
  enabled                    boolean NOT NULL DEFAULT true,
  disabled_reason            text CONSTRAINT webhook_endpoints_disabled_reason CHECK (disabled_reason IN ('operator', 'gone')),
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints (account_sid);

-- The outbox: one row per (endpoint, event), written by the trigger below in the transaction that wrote the
-- event. The dispatcher delivers the pending rows of one (endpoint, conversation) in `position` order.
-- `pending_since` starts the retry horizon (reset by a replay).
CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id         bigint NOT NULL REFERENCES conversation_events (id) ON DELETE CASCADE,
  conversation_sid text NOT NULL,
  position         bigint NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  pending_since    timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, conversation_sid, position) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

-- Every attempt: time, HTTP status (or why there was none), latency. Never the body.
CREATE TABLE webhook_attempts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id  bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  endpoint_id  text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  status_code  integer,
  error        text,
  latency_ms   integer NOT NULL,
  outcome      text NOT NULL CONSTRAINT webhook_attempts_outcome CHECK (outcome IN ('delivered', 'retry', 'failed', 'gone'))
);
CREATE INDEX webhook_attempts_endpoint_time_idx ON webhook_attempts (endpoint_id, attempted_at);

-- Wakes the dispatcher for (endpoint, conversation): graphile-worker's add_job with a job_key, so a burst of
-- events becomes one pending job, and a job already running gets a successor instead of losing the wake-up.
-- graphile-worker's schema is installed by `webchat-admin migrate` before these migrations run.
CREATE FUNCTION webhook_wake(p_endpoint_id text, p_conversation_sid text, p_run_at timestamptz DEFAULT now()) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM graphile_worker.add_job('webhook_drain',
    json_build_object('endpointId', p_endpoint_id, 'conversationSid', p_conversation_sid),
    run_at => p_run_at, job_key => 'webhook:' || p_endpoint_id || ':' || p_conversation_sid, max_attempts => 10);
END $$;

-- A disabled endpoint's events are kept (pending, not woken): enabling it wakes them, in order.
CREATE FUNCTION conversation_events_enqueue_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  endpoint record;
BEGIN
  FOR endpoint IN
    SELECT id, enabled FROM webhook_endpoints WHERE account_sid = NEW.account_sid AND NEW.type = ANY (events)
  LOOP
    INSERT INTO webhook_deliveries (endpoint_id, event_id, conversation_sid, position)
    VALUES (endpoint.id, NEW.id, NEW.conversation_sid, NEW.position);
    IF endpoint.enabled THEN
      PERFORM webhook_wake(endpoint.id, NEW.conversation_sid);
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER conversation_events_webhooks AFTER INSERT ON conversation_events
  FOR EACH ROW EXECUTE FUNCTION conversation_events_enqueue_webhooks();

-- Down Migration

DROP TRIGGER conversation_events_webhooks ON conversation_events;
DROP FUNCTION conversation_events_enqueue_webhooks();
DROP FUNCTION webhook_wake(text, text, timestamptz);
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
