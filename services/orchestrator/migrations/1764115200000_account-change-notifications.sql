-- Up Migration

-- Every orchestrator replica caches account configuration and listens on this channel: a change to an
-- account, its keys or its configuration reaches all of them when the writing transaction commits, so a
-- revoked key or a new allowed-origin list takes effect at once without a cache TTL.
CREATE FUNCTION notify_account_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed_sid text;
BEGIN
  IF TG_TABLE_NAME = 'accounts' THEN
    changed_sid := COALESCE(NEW.sid, OLD.sid);
  ELSE
    changed_sid := COALESCE(NEW.account_sid, OLD.account_sid);
  END IF;
  PERFORM pg_notify('webchat_account_changes', changed_sid);
  RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_notify_change AFTER INSERT OR UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION notify_account_change();
CREATE TRIGGER deployment_keys_notify_change AFTER INSERT OR UPDATE OR DELETE ON deployment_keys
  FOR EACH ROW EXECUTE FUNCTION notify_account_change();
CREATE TRIGGER account_configurations_notify_change AFTER INSERT OR UPDATE OR DELETE ON account_configurations
  FOR EACH ROW EXECUTE FUNCTION notify_account_change();

-- Down Migration

DROP TRIGGER account_configurations_notify_change ON account_configurations;
DROP TRIGGER deployment_keys_notify_change ON deployment_keys;
DROP TRIGGER accounts_notify_change ON accounts;
DROP FUNCTION notify_account_change();
