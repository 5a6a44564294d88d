-- The call centre's lists and an engineer's day at scale (100,000 requests,
-- TestListPlansUseIndexes): the region filter has an index of its own, and
-- an engineer's day reads the calendar by engineer and start, whatever the
-- appointment's status (the exclusion constraint's index covers only the
-- booked ones).
CREATE INDEX requests_region ON requests (region, updated_at DESC);
CREATE INDEX appointments_engineer_day ON appointments (engineer_id, starts_at);
