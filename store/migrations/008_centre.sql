-- The call centre's queue (issue 11): "overdue only" at scale. What a
-- request's pending list says about lateness is kept beside it, so that
-- the filter reads indexes (store.OverdueSQL) instead of every row's jsonb.

ALTER TABLE requests
  -- It waits for an event whose deadline already fired: info_verified
  -- without verify_timeout (R1.2), hq_answer without hq_answer_due (R2.4,
  -- R7.2), complaint_answered without complaint_due (R11.1),
  -- compensation_decision without compensation_due (R7.3).
  ADD COLUMN waits_late boolean GENERATED ALWAYS AS (
    (pending @> '[{"event":"info_verified"}]' AND NOT pending @> '[{"clock":"verify_timeout"}]')
    OR (pending @> '[{"event":"hq_answer"}]' AND NOT pending @> '[{"clock":"hq_answer_due"}]')
    OR (pending @> '[{"event":"complaint_answered"}]' AND NOT pending @> '[{"clock":"complaint_due"}]')
    OR (pending @> '[{"event":"compensation_decision"}]' AND NOT pending @> '[{"clock":"compensation_due"}]')
  ) STORED,
  -- A call-back's deadline runs (R2.2, R9.1, R10.2); whether its first
  -- escalation fired is read from the timeline.
  ADD COLUMN callback_running boolean GENERATED ALWAYS AS (
    pending @> '[{"clock":"callback_overdue"}]' OR pending @> '[{"clock":"confirmation_overdue"}]'
  ) STORED;

CREATE INDEX requests_waits_late ON requests (updated_at DESC) WHERE waits_late;
CREATE INDEX requests_callback_running ON requests (updated_at DESC) WHERE callback_running;
