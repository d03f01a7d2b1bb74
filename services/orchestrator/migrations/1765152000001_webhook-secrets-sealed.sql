-- Up Migration

-- Webhook signing secrets are stored sealed (AES-256-GCM under IDENTITY_SECRETS_KEY, bound to the endpoint id:
-- IdentitySecretSealer, as for identity secrets), no longer in clear. SQL cannot seal (the key is not in the
-- database), so rows written before this keep `secret`/`previous_secret` until sealed in code, which
-- `webchat-admin migrate` (when it has the key) and the dispatcher (at start) both do; a row holds a secret in one
-- form only.
ALTER TABLE webhook_endpoints
  ADD COLUMN secret_sealed bytea,
  ADD COLUMN previous_secret_sealed bytea,
  ALTER COLUMN secret DROP NOT NULL,
  ADD CONSTRAINT webhook_endpoints_secret_once CHECK ((secret IS NULL) <> (secret_sealed IS NULL)),
  ADD CONSTRAINT webhook_endpoints_previous_secret_once CHECK (previous_secret IS NULL OR previous_secret_sealed IS NULL);

-- Down Migration

-- Sealed secrets cannot be opened in SQL: going back is refused while any endpoint has one.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM webhook_endpoints WHERE secret_sealed IS NOT NULL OR previous_secret_sealed IS NOT NULL) THEN
    RAISE EXCEPTION 'webhook endpoints hold sealed secrets: remove them (webchat-admin webhooks remove) before migrating down';
  END IF;
END $$;
ALTER TABLE webhook_endpoints
  DROP CONSTRAINT webhook_endpoints_previous_secret_once,
  DROP CONSTRAINT webhook_endpoints_secret_once,
  ALTER COLUMN secret SET NOT NULL,
  DROP COLUMN previous_secret_sealed,
  DROP COLUMN secret_sealed;
