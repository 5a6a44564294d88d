-- housecall's business records (R11.2: every request and how it was handled
-- is recorded in the after-sales database). The workflow history in Temporal
-- is the source of truth for what happened; these tables are what the call
-- centre lists, what engineers' calendars are made of, and what goes out.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Append-only tables refuse UPDATE and DELETE.
CREATE FUNCTION housecall_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;

CREATE TABLE engineers (
  id         text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
  name       text NOT NULL CHECK (name <> ''),
  region     text NOT NULL CHECK (region <> ''),
  skills     text[] NOT NULL DEFAULT '{}',
  travel     interval NOT NULL DEFAULT '30 minutes' CHECK (travel >= '0'),
  active     boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX engineers_region ON engineers (region) WHERE active;

-- One row per request, kept up to date by the workflow's Commit steps.
CREATE TABLE requests (
  id                text PRIMARY KEY,
  kind              text NOT NULL DEFAULT 'repair',
  status            text NOT NULL,
  customer          jsonb NOT NULL,
  product           jsonb NOT NULL,
  symptoms          text NOT NULL DEFAULT '',
  region            text GENERATED ALWAYS AS (customer ->> 'region') STORED,
  engineer_id       text,
  appointment_start timestamptz,
  appointment_end   timestamptz,
  visits            int NOT NULL DEFAULT 0,
  warranty          text,
  seq               bigint NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_status ON requests (status, updated_at DESC);
CREATE INDEX requests_engineer ON requests (engineer_id, updated_at DESC) WHERE engineer_id IS NOT NULL;
CREATE INDEX requests_updated ON requests (updated_at DESC);

-- Every step a workflow committed: the idempotency ledger of side effects,
-- keyed on request id and step number.
CREATE TABLE steps (
  request_id  text NOT NULL,
  seq         bigint NOT NULL,
  at          timestamptz NOT NULL,
  event_type  text,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, seq)
);
CREATE TRIGGER steps_append_only BEFORE UPDATE OR DELETE ON steps
  FOR EACH ROW EXECUTE FUNCTION housecall_append_only();

-- The SOP timeline as the workflow wrote it (the auditor's view is rebuilt
-- from the Temporal history; this copy serves reports).
CREATE TABLE timeline (
  request_id text NOT NULL,
  seq        bigint NOT NULL,
  idx        int NOT NULL,
  at         timestamptz NOT NULL,
  kind       text NOT NULL,
  rule       text,
  actor      text NOT NULL,
  detail     text NOT NULL,
  PRIMARY KEY (request_id, seq, idx)
);
CREATE TRIGGER timeline_append_only BEFORE UPDATE OR DELETE ON timeline
  FOR EACH ROW EXECUTE FUNCTION housecall_append_only();

-- Every event the API received, accepted or not.
CREATE TABLE request_events (
  id            bigserial PRIMARY KEY,
  request_id    text NOT NULL,
  type          text NOT NULL,
  actor_role    text NOT NULL,
  actor_subject text,
  body          jsonb NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('accepted', 'invalid', 'rejected', 'forbidden', 'not_found', 'error')),
  http_status   int NOT NULL,
  reason        text,
  received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_events_request ON request_events (request_id, id);
CREATE TRIGGER request_events_append_only BEFORE UPDATE OR DELETE ON request_events
  FOR EACH ROW EXECUTE FUNCTION housecall_append_only();

-- Notifications outbox: written in the same transaction as the step that
-- decided them, sent by the notifier; (request_id, seq, idx) makes a retried
-- or replayed step unable to enqueue twice.
CREATE TABLE notifications (
  id              bigserial PRIMARY KEY,
  request_id      text NOT NULL,
  seq             bigint NOT NULL,
  idx             int NOT NULL,
  audience        text NOT NULL,
  recipient       text NOT NULL DEFAULT '',
  message         text NOT NULL,
  rule            text,
  lang            text NOT NULL DEFAULT '',
  params          jsonb NOT NULL DEFAULT '{}',
  urgent          boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  attempts        int NOT NULL DEFAULT 0,
  sent_at         timestamptz,
  failed_at       timestamptz,
  last_error      text,
  UNIQUE (request_id, seq, idx)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX notifications_request ON notifications (request_id, id);

-- Parts requisitioned for a request (R2.3).
CREATE TABLE parts_requisitions (
  request_id text NOT NULL,
  seq        bigint NOT NULL,
  part       text NOT NULL,
  status     text NOT NULL DEFAULT 'requested',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, seq, part)
);

-- Engineers' calendars (R4.1). busy is the appointment plus the travel to it;
-- the exclusion constraint makes double booking of an engineer impossible,
-- whoever writes and however many workers race.
CREATE TABLE appointments (
  id          bigserial PRIMARY KEY,
  request_id  text NOT NULL,
  engineer_id text NOT NULL REFERENCES engineers (id),
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
  travel      interval NOT NULL CHECK (travel >= '0'),
  busy        tstzrange NOT NULL,
  status      text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'released', 'done')),
  booking_key text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (busy = tstzrange(starts_at - travel, ends_at, '[)')),
  CONSTRAINT appointments_no_double_booking
    EXCLUDE USING gist (engineer_id WITH =, busy WITH &&) WHERE (status = 'booked')
);
CREATE INDEX appointments_request ON appointments (request_id);

-- The service record of each visit (R8.1), with the card's return (R10.1).
CREATE TABLE service_records (
  request_id       text NOT NULL,
  visit            int NOT NULL,
  engineer_id      text NOT NULL,
  appointment_id   bigint,
  cause            text NOT NULL DEFAULT '',
  measures         text NOT NULL DEFAULT '',
  parts_used       text[] NOT NULL DEFAULT '{}',
  charge           numeric(12, 2) NOT NULL DEFAULT 0,
  quality_rating   smallint NOT NULL CHECK (quality_rating BETWEEN 1 AND 5),
  attitude_rating  smallint NOT NULL CHECK (attitude_rating BETWEEN 1 AND 5),
  satisfied        boolean NOT NULL,
  signed           boolean NOT NULL,
  fix_certain      boolean NOT NULL,
  completed_at     timestamptz NOT NULL,
  card_returned_at timestamptz,
  PRIMARY KEY (request_id, visit)
);
CREATE INDEX service_records_completed ON service_records (completed_at);
