-- Up Migration

-- Every identifier and enum is checked here as well as in the code: the database is the last line
-- of defence against a buggy writer or a hand-typed psql fix.

CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TABLE accounts (
  sid           text PRIMARY KEY CONSTRAINT accounts_sid_format CHECK (sid ~ '^AC[0-9a-f]{32}$'),
  friendly_name text NOT NULL CONSTRAINT accounts_friendly_name_length CHECK (char_length(friendly_name) BETWEEN 1 AND 256),
  status        text NOT NULL DEFAULT 'active' CONSTRAINT accounts_status_valid CHECK (status IN ('active', 'suspended')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER accounts_updated_at BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Only the SHA-256 of a key is stored: a database dump must not hand out working keys.
-- The keys are 192 random bits, so an unsalted fast hash is enough (nothing to brute-force).
CREATE TABLE deployment_keys (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  key_hash    bytea NOT NULL
              CONSTRAINT deployment_keys_key_hash_unique UNIQUE
              CONSTRAINT deployment_keys_key_hash_sha256 CHECK (octet_length(key_hash) = 32),
  key_prefix  text NOT NULL CONSTRAINT deployment_keys_key_prefix_format CHECK (key_prefix ~ '^dk_[A-Za-z0-9_-]{1,13}$'),
  status      text NOT NULL DEFAULT 'active' CONSTRAINT deployment_keys_status_valid CHECK (status IN ('active', 'revoked')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  CONSTRAINT deployment_keys_revoked_at_matches_status CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX deployment_keys_account_sid_idx ON deployment_keys (account_sid, created_at);
CREATE INDEX deployment_keys_key_prefix_idx ON deployment_keys (key_prefix);

CREATE TABLE account_configurations (
  account_sid             text PRIMARY KEY REFERENCES accounts (sid) ON DELETE CASCADE,
  -- Twilio allows at most 10 allowed origins per account.
  allowed_origins         text[] NOT NULL DEFAULT '{}'
                          CONSTRAINT account_configurations_allowed_origins_max CHECK (cardinality(allowed_origins) <= 10)
                          CONSTRAINT account_configurations_allowed_origins_flat CHECK (coalesce(array_ndims(allowed_origins), 1) = 1)
                          CONSTRAINT account_configurations_allowed_origins_no_nulls CHECK (array_position(allowed_origins, NULL) IS NULL),
  address_sid             text CONSTRAINT account_configurations_address_sid_format CHECK (address_sid ~ '^IG[0-9a-f]{32}$'),
  fingerprint_sensitivity text NOT NULL DEFAULT 'medium'
                          CONSTRAINT account_configurations_fingerprint_sensitivity_valid
                          CHECK (fingerprint_sensitivity IN ('off', 'low', 'medium', 'high')),
  token_ttl_seconds       integer NOT NULL DEFAULT 3600
                          CONSTRAINT account_configurations_token_ttl_range CHECK (token_ttl_seconds BETWEEN 60 AND 86400),
  welcome_message         text CONSTRAINT account_configurations_welcome_message_length CHECK (char_length(welcome_message) BETWEEN 1 AND 1024),
  updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER account_configurations_updated_at BEFORE UPDATE ON account_configurations
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE conversations (
  sid                    text PRIMARY KEY CONSTRAINT conversations_sid_format CHECK (sid ~ '^CH[0-9a-f]{32}$'),
  account_sid            text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  identity               uuid NOT NULL,
  customer_friendly_name text CONSTRAINT conversations_customer_friendly_name_length CHECK (char_length(customer_friendly_name) BETWEEN 1 AND 256),
  pre_engagement_data    jsonb CONSTRAINT conversations_pre_engagement_data_object CHECK (jsonb_typeof(pre_engagement_data) = 'object'),
  created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_account_identity_idx ON conversations (account_sid, identity);

CREATE TABLE messages (
  sid              text PRIMARY KEY CONSTRAINT messages_sid_format CHECK (sid ~ '^IM[0-9a-f]{32}$'),
  conversation_sid text NOT NULL REFERENCES conversations (sid) ON DELETE CASCADE,
  author           text NOT NULL CONSTRAINT messages_author_valid CHECK (author IN ('guest', 'system')),
  body             text NOT NULL CONSTRAINT messages_body_length CHECK (octet_length(body) BETWEEN 1 AND 16384),
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- created_at ties within a transaction; this gives messages a total order.
  seq              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT messages_seq_unique UNIQUE
);
CREATE INDEX messages_conversation_seq_idx ON messages (conversation_sid, seq);

-- Down Migration

DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE account_configurations;
DROP TABLE deployment_keys;
DROP TABLE accounts;
DROP FUNCTION set_updated_at();
