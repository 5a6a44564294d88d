-- R10.2: the daily reconciliation of service cards against what customers
-- confirmed, and the falsifications it suspects.

CREATE TABLE reconciliations (
  id          bigserial PRIMARY KEY,
  run_key     text NOT NULL UNIQUE, -- the run's workflow id: one result per run
  run_at      timestamptz NOT NULL, -- the time the cards were reconciled up to
  cards       int NOT NULL DEFAULT 0,
  clean       int NOT NULL DEFAULT 0,
  flagged     int NOT NULL DEFAULT 0,
  deferred    int NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliations_run_at ON reconciliations (run_at DESC);

CREATE TABLE reconciliation_flags (
  reconciliation_id bigint NOT NULL REFERENCES reconciliations (id),
  request_id        text NOT NULL,
  visit             int NOT NULL,
  engineer_id       text NOT NULL,
  reason            text NOT NULL CHECK (reason IN ('satisfied_not_signed', 'card_not_returned')),
  detail            text NOT NULL,
  PRIMARY KEY (reconciliation_id, request_id, visit, reason)
);
CREATE INDEX reconciliation_flags_request ON reconciliation_flags (request_id);

ALTER TABLE service_records
  ADD COLUMN reconciled_at timestamptz,
  ADD COLUMN reconciliation_id bigint REFERENCES reconciliations (id);
CREATE INDEX service_records_unreconciled ON service_records (completed_at) WHERE reconciled_at IS NULL;

-- The order the notifier claims notifications in.
CREATE INDEX notifications_claim ON notifications (urgent DESC, next_attempt_at, id) WHERE sent_at IS NULL AND failed_at IS NULL;
