-- R10.2 (issue 10): cards are reconciled against the customer's own
-- confirmation. A card marked satisfied that the customer did not sign
-- (R8.2) is not falsification by itself: the customer is asked to confirm,
-- and only a contradiction is flagged.

ALTER TABLE service_records
  ADD COLUMN customer_confirmed boolean,          -- satisfaction_confirmed: what the customer said
  ADD COLUMN confirmed_at timestamptz,
  ADD COLUMN confirmation_asked_at timestamptz;   -- the reconciliation asked the centre to call

ALTER TABLE reconciliations ADD COLUMN unconfirmed int NOT NULL DEFAULT 0;

-- satisfied_not_signed stays a known reason: runs before issue 10 used it.
ALTER TABLE reconciliation_flags DROP CONSTRAINT reconciliation_flags_reason_check;
ALTER TABLE reconciliation_flags ADD CONSTRAINT reconciliation_flags_reason_check
  CHECK (reason IN ('satisfied_not_signed', 'card_not_returned', 'customer_contradicts'));
