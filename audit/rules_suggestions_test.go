package audit_test

import (
	"slices"
	"testing"
	"time"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
	"github.com/housecall/housecall/workflows/wftest"
)

func init() {
	suggestion := sop.Event{Type: sop.EvSuggestion, Text: "a matt version of the glaze"}
	cases(
		ruleCase{rule: sop.R12_9, want: audit.Met, name: "asked_and_suggestion_reported_to_production",
			evidence: "1 suggestion(s) recorded against model CT-800",
			run: func(h *wftest.Harness) {
				// In the home from 14:00; the customer suggests at 14:10.
				visit(h, 5*time.Hour, 6*time.Hour, true, true, true)
				h.Eng(5*time.Hour+10*time.Minute, suggestion)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				ns := h.Notes(sop.MsgSuggestion)
				if len(ns) != 1 || ns[0].To != sop.ToProduction || ns[0].Params["model"] != "CT-800" || ns[0].Params["text"] != suggestion.Text {
					t.Fatalf("production not told the suggestion on CT-800: %+v", ns)
				}
				i := slices.IndexFunc(h.Commits(), func(c workflows.CommitInput) bool { return c.Suggestion != nil })
				if i < 0 || h.Commits()[i].Suggestion.Model != "CT-800" || h.Commits()[i].Suggestion.HeardBy != "engineer:E-1" {
					t.Fatalf("suggestion not recorded against the model: %+v", h.Commits())
				}
			}},
		ruleCase{rule: sop.R12_9, want: audit.Breached, name: "customer_not_asked_for_suggestions",
			evidence: "asked_suggestions",
			run: func(h *wftest.Harness) {
				visitConfirming(h, 5*time.Hour, 6*time.Hour, true, true, true, without(wftest.Checklist(sop.EvCompleted), "asked_suggestions"))
				h.Run(8 * time.Hour)
			}},
		ruleCase{rule: sop.R12_9, want: audit.NotApplicable, name: "old_rules_refuse_a_suggestion",
			run: func(h *wftest.Harness) {
				h.OldRules()
				r := h.CC(time.Minute, suggestion)
				h.Run(time.Hour)
				wftest.MustReject(h.T, r, workflows.ErrNotValidNow, "R12.9")
			}},
		ruleCase{rule: sop.R12_9, want: audit.Met, name: "centre_records_a_suggestion_the_engineer_only_at_the_visit",
			run: func(h *wftest.Harness) {
				h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
				h.Book(2 * time.Minute)
				early := h.Eng(3*time.Minute, suggestion)
				byCentre := h.CC(4*time.Minute, suggestion)
				h.Run(time.Hour)
				wftest.MustReject(h.T, early, workflows.ErrNotValidNow, "at the door or in the home")
				wftest.MustOK(h.T, byCentre)
			}},
	)
}
