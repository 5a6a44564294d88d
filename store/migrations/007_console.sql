-- The web console (issue 11): the call centre's queue shows what each request
-- waits for and by when, from PostgreSQL (never a workflow query per row),
-- and open pages are told of every change (LISTEN housecall_requests).

ALTER TABLE requests
  ADD COLUMN pending jsonb NOT NULL DEFAULT '[]', -- workflows.Pending: the events and clocks it waits for
  ADD COLUMN next_due timestamptz;                -- the earliest of its clocks

CREATE INDEX requests_next_due ON requests (next_due) WHERE next_due IS NOT NULL;
-- Search by the customer's phone and the product's serial number.
CREATE INDEX requests_phone ON requests ((customer ->> 'phone'));
CREATE INDEX requests_serial ON requests ((product ->> 'serial'));

-- One notification per changed request, sent when its step commits; the
-- payload is the request id.
CREATE FUNCTION housecall_request_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('housecall_requests', NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER requests_notify AFTER INSERT OR UPDATE ON requests
  FOR EACH ROW EXECUTE FUNCTION housecall_request_changed();
