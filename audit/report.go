package audit

import (
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// Verdict statuses.
const (
	Met           = "met"
	Breached      = "breached"
	NotApplicable = "not_applicable"
)

// Verdict says whether one rule was kept, with the evidence.
type Verdict struct {
	Rule   sop.Rule `json:"rule"`
	Status string   `json:"status"`
	Detail string   `json:"detail"`
}

// Report is GET /v1/requests/{id}/timeline.
type Report struct {
	Entries    []workflows.Entry `json:"entries"`
	Compliance []Verdict         `json:"compliance"`
}
