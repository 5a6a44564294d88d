package store

// The SQL of the lists, for the plan tests of package store_test.
var ListQuery = listQuery

const DayQuery = dayQuery
