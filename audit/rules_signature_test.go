package audit_test

import (
	"testing"
	"time"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows/wftest"
)

// R8.2 breached: the card says the customer signed; the customer, asked for
// their own confirmation (R10.2), says they never signed it. The signature
// is not theirs: flagged, the centre told, the customer called back.
func init() {
	cases(ruleCase{rule: sop.R8_2, want: audit.Breached, name: "customer_says_the_signature_is_not_theirs",
		evidence: "the signature on the record is not theirs",
		run: func(h *wftest.Harness) {
			visit(h, 5*time.Hour, 6*time.Hour, true, true, true)
			h.CC(7*time.Hour, sop.Event{Type: sop.EvSatisfactionConfirmed, Visit: wftest.Ptr(1), Satisfied: wftest.Ptr(true), SignedByCustomer: wftest.Ptr(false)})
			h.Run(8 * time.Hour)
		},
		check: func(t *testing.T, h *wftest.Harness) {
			ns := h.Notes(sop.MsgFalsification)
			if len(ns) != 1 || ns[0].To != sop.ToCentre || !ns[0].Urgent || ns[0].Rule != sop.R8_2 || ns[0].Params["visit"] != "1" || ns[0].Params["engineer"] != "E-1" {
				t.Fatalf("the centre is not told the signature is not the customer's: %+v", ns)
			}
			if len(h.Only(sop.KindFollowupDue)) != 1 {
				t.Fatalf("the customer is not called back: %s", h.Timeline())
			}
		}},
		ruleCase{rule: sop.R8_2, want: audit.Met, name: "customer_confirms_the_signature_of_a_signed_card",
			evidence: "not signed",
			run: func(h *wftest.Harness) {
				// One visit not signed and recorded so; the customer confirms it.
				visit(h, 5*time.Hour, 6*time.Hour, true, false, true)
				h.CC(7*time.Hour, sop.Event{Type: sop.EvSatisfactionConfirmed, Visit: wftest.Ptr(1), Satisfied: wftest.Ptr(true), SignedByCustomer: wftest.Ptr(false)})
				h.Run(8 * time.Hour)
			}})
}
