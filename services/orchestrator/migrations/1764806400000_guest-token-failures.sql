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

-- Down Migration

DROP TABLE guest_token_failures;
