-- Up Migration

-- The per-account secret a customer's server signs identity tokens (HS256) with. Verifying an HMAC needs
-- the secret itself, so it is stored encrypted (AES-256-GCM under the orchestrator's IDENTITY_SECRETS_KEY,
-- the account SID as associated data), never in clear. The previous secret stays valid after a rotation
-- until it is retired, so a customer can roll its servers over without signed-in guests failing.
CREATE TABLE account_identity_secrets (
  account_sid        text PRIMARY KEY REFERENCES accounts (sid) ON DELETE CASCADE,
  secret_sealed      bytea NOT NULL,
  previous_sealed    bytea,
  rotated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER account_identity_secrets_notify_change AFTER INSERT OR UPDATE OR DELETE ON account_identity_secrets
  FOR EACH ROW EXECUTE FUNCTION notify_account_change();

-- What the customer's server vouched for (name, email) is a trusted field of the conversation, kept
-- apart from the pre-engagement data the guest typed.
ALTER TABLE conversations
  ADD COLUMN verified_guest jsonb CONSTRAINT conversations_verified_guest_object CHECK (jsonb_typeof(verified_guest) = 'object');

-- Down Migration

ALTER TABLE conversations DROP COLUMN verified_guest;
DROP TRIGGER account_identity_secrets_notify_change ON account_identity_secrets;
DROP TABLE account_identity_secrets;
