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

// visitWith runs a request to a completed, satisfied visit: triaged at
// +1m, booked for 14:00, at the door at 13:57, diagnosed, completed at
// 14:40 with the given completion checklist; during (in the home, at
// 14:20) it calls during.
func visitWith(h *wftest.Harness, checklist []string, during func(h *wftest.Harness)) {
	h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.Book(2 * time.Minute)
	at := wftest.SlotStart
	h.Eng(at.Add(-40*time.Minute).Sub(wftest.T0), sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
	h.Eng(at.Add(-5*time.Minute).Sub(wftest.T0), sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
	h.Eng(at.Add(-3*time.Minute).Sub(wftest.T0), sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true), Checklist: wftest.Checklist(sop.EvKnocked)})
	h.Eng(at.Add(10*time.Minute).Sub(wftest.T0), sop.Event{Type: sop.EvDiagnosed, Cause: "glaze fault", Onsite: wftest.Ptr(true)})
	if during != nil {
		during(h)
	}
	h.Eng(at.Add(40*time.Minute).Sub(wftest.T0), sop.Event{Type: sop.EvCompleted, QualityRating: wftest.Ptr(5), AttitudeRating: wftest.Ptr(5),
		Satisfied: wftest.Ptr(true), SignedByCustomer: wftest.Ptr(true), FixCertain: wftest.Ptr(true), Checklist: checklist})
	h.Run(10 * time.Hour)
}

func init() {
	suggestion := sop.Event{Type: sop.EvSuggestion, Text: "a matt version of the glaze"}
	cases(
		ruleCase{rule: sop.R12_9, want: audit.Met, name: "asked_and_suggestion_reported_to_production",
			evidence: "1 suggestion(s) recorded against model CT-800",
			run: func(h *wftest.Harness) {
				visitWith(h, wftest.Checklist(sop.EvCompleted), func(h *wftest.Harness) {
					h.Eng(wftest.SlotStart.Add(20*time.Minute).Sub(wftest.T0), suggestion)
				})
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
				visitWith(h, slices.DeleteFunc(wftest.Checklist(sop.EvCompleted), func(id string) bool { return id == "asked_suggestions" }), nil)
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
