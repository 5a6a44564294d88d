package store

// The SQL of the auditor's search, for the plan test of package store_test.
const SearchQuery = searchQuery
