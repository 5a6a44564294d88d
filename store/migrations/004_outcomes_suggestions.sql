-- The complete SOP (issue 10): a timeline entry carries its structured
-- outcome, the trip (booked appointment) it belongs to and the checklist
-- items not confirmed; customers' suggestions are recorded against the
-- product model and reported to production (R12.9).

ALTER TABLE timeline
  ADD COLUMN outcome text,
  ADD COLUMN trip    int NOT NULL DEFAULT 0 CHECK (trip >= 0),
  ADD COLUMN missing text[] NOT NULL DEFAULT '{}';

CREATE TABLE suggestions (
  request_id text        NOT NULL,
  seq        bigint      NOT NULL, -- the step that recorded it: (request_id, seq) is its key
  model      text        NOT NULL,
  text       text        NOT NULL,
  heard_by   text        NOT NULL, -- the actor who heard it (engineer:E-1, callcentre)
  heard_at   timestamptz NOT NULL,
  PRIMARY KEY (request_id, seq)
);
CREATE INDEX suggestions_model ON suggestions (model, heard_at);

