-- Up Migration

-- A stolen token's fingerprint can be guessed by trying signals (issue 12, finding 3). Every replica
-- counts a token's fingerprint mismatches here, under the SHA-256 of the token (never the token), so
-- the count is shared and exact; at the configured limit the token is dead for every later use.
CREATE TABLE guest_token_failures (
  token_hash  bytea PRIMARY KEY CONSTRAINT guest_token_failures_token_hash_sha256 CHECK (octet_length(token_hash) = 32),
  failures    integer NOT NULL CONSTRAINT guest_token_failures_failures_positive CHECK (failures > 0),
  -- After this the token cannot be used even as a previous token: the row can be pruned.
  forget_after timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guest_token_failures_forget_after_idx ON guest_token_failures (forget_after);

-- Every replica hears of each counted mismatch when it commits: a token never seen failing is checked
-- from memory (no query on a warm request), one that has failed anywhere is checked here every time.
CREATE FUNCTION notify_token_failure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('webchat_token_failures', encode(NEW.token_hash, 'hex'));
  RETURN NULL;
END;
$$;
CREATE TRIGGER guest_token_failures_notify AFTER INSERT OR UPDATE ON guest_token_failures
  FOR EACH ROW EXECUTE FUNCTION notify_token_failure();

-- Down Migration

DROP TRIGGER guest_token_failures_notify ON guest_token_failures;
DROP FUNCTION notify_token_failure();
DROP TABLE guest_token_failures;
