-- Up Migration

-- webhook_wake, again, with two changes (the dispatcher's lost wake-ups under load):
-- 1. graphile-worker's add_job can schedule nothing and return no row when the job it would update is locked by
--    a worker between its own two statements (graphile/worker#580). That worker may have read the outbox before
--    the caller's transaction commits, so the new delivery would wait for the sweep. Asking again sees the job
--    locked, and then a successor is created, as for any running job.
-- 2. p_keep_pending: a wake-up already pending keeps its own time; this call only makes sure there is one
--    (job_key_mode preserve_run_at). The dispatcher's "another transaction holds this conversation, look again
--    later" uses it, so it never moves the wake-up the holder scheduled.
DROP FUNCTION webhook_wake(text, text, timestamptz);
CREATE FUNCTION webhook_wake(p_endpoint_id text, p_conversation_sid text, p_run_at timestamptz DEFAULT now(), p_keep_pending boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_job_id bigint;
BEGIN
  FOR attempt IN 1..5 LOOP
    SELECT job.id INTO v_job_id
      FROM graphile_worker.add_job('webhook_drain',
             json_build_object('endpointId', p_endpoint_id, 'conversationSid', p_conversation_sid),
             run_at => p_run_at, job_key => 'webhook:' || p_endpoint_id || ':' || p_conversation_sid, max_attempts => 10,
             job_key_mode => CASE WHEN p_keep_pending THEN 'preserve_run_at' ELSE 'replace' END) job;
    EXIT WHEN v_job_id IS NOT NULL;
  END LOOP;
END $$;

-- Down Migration

DROP FUNCTION webhook_wake(text, text, timestamptz, boolean);
CREATE FUNCTION webhook_wake(p_endpoint_id text, p_conversation_sid text, p_run_at timestamptz DEFAULT now()) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM graphile_worker.add_job('webhook_drain',
    json_build_object('endpointId', p_endpoint_id, 'conversationSid', p_conversation_sid),
    run_at => p_run_at, job_key => 'webhook:' || p_endpoint_id || ':' || p_conversation_sid, max_attempts => 10);
END $$;
