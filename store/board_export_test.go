package store

// The SQL of the dispatch board, for the plan tests of package store_test.
const (
	BoardQuery       = boardQuery
	UnscheduledQuery = unscheduledQuery
)
