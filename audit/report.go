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

// RunInfo names one run the report was built from.
type RunInfo struct {
	RunID  string `json:"run_id"`
	Events int    `json:"events"`
}

// Report is GET /v1/requests/{id}/timeline.
type Report struct {
	Entries    []workflows.Entry `json:"entries"`
	Compliance []Verdict         `json:"compliance"`
	Runs       []RunInfo         `json:"runs,omitempty"`
}

// Verdict returns the verdict on one rule.
func (r Report) Verdict(rule sop.Rule) Verdict {
	for _, v := range r.Compliance {
		if v.Rule == rule {
			return v
		}
	}
	return Verdict{Rule: rule, Status: NotApplicable}
}
