package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/workflows"
)

// R10.2: the daily reconciliation over a day's cards in PostgreSQL: a
// "satisfied" the customer's own confirmation contradicts and a card never
// returned are flagged; a "satisfied" the customer did not sign (R8.2) and
// has not confirmed is not flagged but asked to be confirmed; a consistent
// card is clean, a card whose day is not over waits for the next run, and
// every card is reconciled once.
func TestR10_2_ReconciliationFindsTheFalsifiedCard(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	cstZone := time.FixedZone("CST", cst)
	day := func(h, m int) time.Time { return time.Date(2026, 3, 3, h, m, 0, 0, cstZone) }
	seq := int64(0)
	complete := func(req string, at time.Time, satisfied, signed bool, returned *time.Time) {
		t.Helper()
		seq++
		in := workflows.CommitInput{RequestID: req, Seq: seq, At: at,
			Projection: workflows.Projection{Status: sop.StatusClosed, Visits: 1},
			ServiceRecord: &workflows.ServiceVisitRecord{Visit: 1, Engineer: "E-1", QualityRating: 5, AttitudeRating: 5,
				Satisfied: satisfied, SignedByCustomer: signed, FixCertain: true, CompletedAt: at}}
		if _, err := st.Commit(ctx, in); err != nil {
			t.Fatal(err)
		}
		if returned != nil {
			seq++
			if _, err := st.Commit(ctx, workflows.CommitInput{RequestID: req, Seq: seq, At: *returned,
				Projection: workflows.Projection{Status: sop.StatusClosed, Visits: 1}, CardReturned: &workflows.CardReturn{Visit: 1, At: *returned}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ret := func(tm time.Time) *time.Time { return &tm }
	confirm := func(req string, at time.Time, satisfied bool) {
		t.Helper()
		seq++
		if _, err := st.Commit(ctx, workflows.CommitInput{RequestID: req, Seq: seq, At: at,
			Projection:   workflows.Projection{Status: sop.StatusClosed, Visits: 1},
			Confirmation: &workflows.Confirmation{Visit: 1, Satisfied: satisfied, At: at}}); err != nil {
			t.Fatal(err)
		}
	}
	// Monday's visits and one from today (Tuesday).
	monday := func(h int) time.Time { return day(h, 0).AddDate(0, 0, -1) }
	complete("SR-CLEAN", monday(10), true, true, ret(monday(17)))
	complete("SR-FORGED", monday(11), true, false, ret(monday(17)))
	complete("SR-NO-CARD", monday(14), true, true, nil)
	complete("SR-UNHAPPY", monday(15), false, false, ret(monday(16)))
	complete("SR-TODAY", day(16, 30), true, true, nil)
	complete("SR-CONTRADICTED", monday(12), true, false, ret(monday(17)))
	confirm("SR-CONTRADICTED", monday(19), false)
	complete("SR-CONFIRMED", monday(13), true, false, ret(monday(17)))
	confirm("SR-CONFIRMED", monday(19), true)

	in := workflows.ReconcileCardsInput{Key: "housecall-reconcile-2026-03-03T10:00:00Z", At: day(18, 0), UTCOffsetSeconds: cst}
	res, err := st.Reconcile(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cards != 6 || res.Clean != 4 || res.Flagged != 2 || res.Deferred != 1 || res.Unconfirmed != 1 {
		t.Fatalf("result %+v", res)
	}
	flags := map[string][]string{}
	for _, v := range res.Visits {
		for _, f := range v.Flags {
			flags[v.RequestID] = append(flags[v.RequestID], f.Reason)
		}
	}
	if len(flags["SR-CONTRADICTED"]) != 1 || flags["SR-CONTRADICTED"][0] != workflows.FlagCustomerContradicts {
		t.Fatalf("contradicted card not flagged: %v", flags)
	}
	if len(flags["SR-FORGED"]) != 0 || len(flags["SR-CONFIRMED"]) != 0 {
		t.Fatalf("unsigned cards flagged by themselves (R8.2): %v", flags)
	}
	asked := func(r workflows.ReconcileResult) []string {
		var out []string
		for _, v := range r.Visits {
			if v.Confirm {
				out = append(out, v.RequestID)
			}
		}
		return out
	}
	if a := asked(res); len(a) != 1 || a[0] != "SR-FORGED" {
		t.Fatalf("asked to confirm: %v", a)
	}
	if len(flags["SR-NO-CARD"]) != 1 || flags["SR-NO-CARD"][0] != workflows.FlagCardNotReturned {
		t.Fatalf("missing card not flagged: %v", flags)
	}
	if len(flags["SR-UNHAPPY"]) != 0 || len(flags["SR-CLEAN"]) != 0 {
		t.Fatalf("honest cards flagged: %v", flags)
	}

	// The same run again (a retried activity) returns the stored result.
	again, err := st.Reconcile(ctx, in)
	if err != nil || again.ID != res.ID || again.Flagged != 2 || again.Unconfirmed != 1 || len(again.Visits) != 6 {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if a := asked(again); len(a) != 1 || a[0] != "SR-FORGED" {
		t.Fatalf("retry asks to confirm: %v", a)
	}
	// Tomorrow's run takes today's card, now due, and nothing else twice.
	next, err := st.Reconcile(ctx, workflows.ReconcileCardsInput{Key: "next", At: day(18, 0).AddDate(0, 0, 1), UTCOffsetSeconds: cst})
	if err != nil {
		t.Fatal(err)
	}
	if next.Cards != 1 || next.Flagged != 1 || next.Visits[0].RequestID != "SR-TODAY" {
		t.Fatalf("next run %+v", next)
	}
	runs, err := st.Reconciliations(ctx, 10)
	if err != nil || len(runs) != 2 || runs[0].ID != next.ID || runs[1].Flagged != 2 {
		t.Fatalf("stored runs %+v %v", runs, err)
	}
}
