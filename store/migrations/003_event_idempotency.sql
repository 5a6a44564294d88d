-- Idempotency-Key of POST /v1/requests/{id}/events (IETF draft "The
-- Idempotency-Key HTTP Header Field"). An event sent with a key is logged
-- once, before it is sent, with the key, the fingerprint of what was sent
-- (sha256 of the sender, the type and the canonical body) and the Temporal
-- update id; its row then takes the event's final outcome. A retry with the
-- key adds no row: it counts an attempt and answers the outcome.

ALTER TABLE request_events
  ADD COLUMN idempotency_key text,
  ADD COLUMN fingerprint     text,
  ADD COLUMN update_id       text,
  ADD COLUMN response        bytea, -- the answer's body, byte for byte, once final
  ADD COLUMN attempts        int NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now(),
  ADD CHECK (idempotency_key IS NULL OR (fingerprint IS NOT NULL AND update_id IS NOT NULL));

-- pending: sent, outcome not known yet; ended: the request's workflow had
-- ended (a reopening or an operator's reset may change that).
ALTER TABLE request_events DROP CONSTRAINT request_events_outcome_check;
ALTER TABLE request_events ADD CONSTRAINT request_events_outcome_check
  CHECK (outcome IN ('accepted', 'invalid', 'rejected', 'forbidden', 'not_found', 'error', 'pending', 'ended'));

CREATE UNIQUE INDEX request_events_key ON request_events (request_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Still append-only, but for a keyed event: its attempts grow, and its
-- outcome may change while it is not final (pending, error, not_found,
-- ended). Nothing else of a row ever changes; nothing is deleted.
CREATE FUNCTION housecall_request_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'request_events is append-only: DELETE refused';
  END IF;
  IF OLD.idempotency_key IS NULL
     OR (NEW.id, NEW.request_id, NEW.type, NEW.actor_role, NEW.actor_subject, NEW.body, NEW.idempotency_key,
         NEW.fingerprint, NEW.update_id, NEW.received_at)
        IS DISTINCT FROM
        (OLD.id, OLD.request_id, OLD.type, OLD.actor_role, OLD.actor_subject, OLD.body, OLD.idempotency_key,
         OLD.fingerprint, OLD.update_id, OLD.received_at)
     OR NEW.attempts < OLD.attempts
     OR (OLD.outcome NOT IN ('pending', 'error', 'not_found', 'ended')
         AND (NEW.outcome, NEW.http_status, NEW.reason, NEW.response) IS DISTINCT FROM
             (OLD.outcome, OLD.http_status, OLD.reason, OLD.response)) THEN
    RAISE EXCEPTION 'request_events is append-only: only the attempts and the outcome not yet final of a keyed event change';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER request_events_append_only ON request_events;
CREATE TRIGGER request_events_guard BEFORE UPDATE OR DELETE ON request_events
  FOR EACH ROW EXECUTE FUNCTION housecall_request_events_guard();
