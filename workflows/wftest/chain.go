package wftest

// Prepend puts the steps another harness's run committed before this run's,
// as the auditor reads the chain of runs kept under one request id: a case
// of R1.3 judges what a second start of the same request (or steps of
// another request) would look like. Call it after both runs.
func (h *Harness) Prepend(earlier *Harness) {
	before := earlier.Commits()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commits = append(before, h.commits...)
}
