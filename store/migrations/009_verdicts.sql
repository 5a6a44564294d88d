-- The auditor's verdict cache (console /audit compliance, /kpi): the verdict
-- on every rule of a request as its audit report (audit.Build over the
-- Temporal history) gave it, labelled with the requests.seq the report was
-- built at. A verdict is a function of the request's committed steps, and
-- every step moves requests.seq: a row whose seq is below requests.seq is
-- stale and is judged again; one at requests.seq is what the history says.
CREATE TABLE verdicts (
  request_id text NOT NULL,
  rule       text NOT NULL,
  status     text NOT NULL CHECK (status IN ('met', 'breached', 'not_applicable')),
  detail     text NOT NULL DEFAULT '',
  seq        bigint NOT NULL,
  judged_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, rule)
);
CREATE INDEX verdicts_rule ON verdicts (rule, status);

-- One row per request judged: the seq its verdicts were built at (a request
-- judged with no verdicts is still judged).
CREATE TABLE verdicts_judged (
  request_id text PRIMARY KEY,
  seq        bigint NOT NULL,
  judged_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX requests_created ON requests (created_at);
