package store

// QueueQuery is the SQL of the call centre's queue, for the plan tests.
var QueueQuery = queueQuery
