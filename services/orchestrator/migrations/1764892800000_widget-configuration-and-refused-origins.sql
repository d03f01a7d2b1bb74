-- Up Migration

-- The widget's look, texts and pre-engagement fields per account (issue 18). One JSON object, validated by
-- the WidgetSettings schema before every write; it rides the existing change notification, so a new
-- configuration reaches every replica's cache at once.
ALTER TABLE account_configurations
  ADD COLUMN widget jsonb NOT NULL DEFAULT '{}'::jsonb
  CONSTRAINT account_configurations_widget_object CHECK (jsonb_typeof(widget) = 'object')
  CONSTRAINT account_configurations_widget_size CHECK (octet_length(widget::text) <= 65536);

-- The origins an account's allowed-origin check refused, so an operator can answer "why does the widget not
-- work on our staging site?" without logs. Bounded: the writer keeps the most recent distinct origins per
-- account. An origin is a site's address, never a guest's: no personal data is kept here.
CREATE TABLE refused_origins (
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  origin      text NOT NULL CONSTRAINT refused_origins_origin_length CHECK (char_length(origin) BETWEEN 1 AND 300),
  refusals    bigint NOT NULL DEFAULT 1 CONSTRAINT refused_origins_refusals_positive CHECK (refusals > 0),
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_sid, origin)
);
CREATE INDEX refused_origins_recent_idx ON refused_origins (account_sid, last_seen DESC);

-- Down Migration

DROP TABLE refused_origins;
ALTER TABLE account_configurations DROP COLUMN widget;
