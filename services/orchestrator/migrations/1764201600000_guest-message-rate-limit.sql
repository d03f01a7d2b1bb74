-- Up Migration

-- A guest's messages per conversation are limited in a fixed window, counted on the conversation row:
-- the UPDATE that counts a message re-reads the newest row version when posts race, so every replica
-- shares one exact count without a lock table or an external store.
ALTER TABLE conversations
  ADD COLUMN guest_message_window_started_at timestamptz,
  ADD COLUMN guest_message_window_count integer NOT NULL DEFAULT 0
    CONSTRAINT conversations_guest_message_window_count_positive CHECK (guest_message_window_count >= 0);

-- Down Migration

ALTER TABLE conversations
  DROP COLUMN guest_message_window_count,
  DROP COLUMN guest_message_window_started_at;
