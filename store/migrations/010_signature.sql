-- The customer's signature drawn on the engineer's screen (issue 11, the
-- engineer's console): the PNG, stored with the visit's service record.
-- Optional: records completed without a drawn signature keep NULL.
ALTER TABLE service_records ADD COLUMN signature_png bytea;
