package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/sop"
)

// upserts records every search-attribute upsert of the run: the names it
// updated.
type upserts struct{ set [][]string }

func (h *harness) recordUpserts() *upserts {
	u := &upserts{}
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		var set []string
		for k := range sa.GetUntypedValues() {
			set = append(set, k.GetName())
		}
		slices.Sort(set)
		u.set = append(u.set, set)
	}).Return(nil)
	return u
}

// oneVisit drives a request from intake to closed: triage, booking, the
// visit, a satisfied customer, the card returned.
func (h *harness) oneVisit() *result {
	start := t0.Add(2 * time.Hour)
	h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.cc(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(start), End: ptr(start.Add(time.Hour))})
	h.eng(2*time.Hour-5*time.Minute, sop.Event{Type: sop.EvArrived})
	h.eng(2*time.Hour, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
	h.eng(2*time.Hour+29*time.Minute, diagnosedOnsite())
	done := h.eng(2*time.Hour+30*time.Minute, completed(true, true, true))
	h.eng(2*time.Hour+40*time.Minute, sop.Event{Type: sop.EvCardReturned})
	return done
}

// A request started through the API carries its region and kind from the
// start, and its workflow upserts no search attribute in its whole life
// (stepsStartAttributes): status, engineer and warranty changed at every
// step, and not one of them was a visibility write.
func TestSearchAttributesGivenAtStartAreNeverUpserted(t *testing.T) {
	h := newHarness(t)
	req := goodRequest()
	if err := h.env.SetTypedSearchAttributesOnStart(StartSearchAttributes(req)); err != nil {
		t.Fatal(err)
	}
	u := h.recordUpserts()
	done := h.oneVisit()
	h.run(req, testPolicy(), 30*time.Hour)
	wantStatus(t, wantOK(t, done), sop.StatusClosed)
	if len(u.set) != 0 {
		t.Fatalf("%d upserts (%v), want none: region and kind came at start", len(u.set), u.set)
	}
}

// A request started without them (by hand, from the Temporal UI or CLI)
// gets its region and kind once, in its first workflow task; a run
// continued from an older one that carried the exact status, engineer
// and warranty removes them in that same upsert, as they would go stale.
func TestSearchAttributesMendedOnce(t *testing.T) {
	h := newHarness(t)
	req := goodRequest()
	older := temporal.NewSearchAttributes(SAStatus.ValueSet("scheduled"), SAEngineer.ValueSet("E-9"), SAWarranty.ValueSet("in"))
	if err := h.env.SetTypedSearchAttributesOnStart(older); err != nil {
		t.Fatal(err)
	}
	var got []temporal.SearchAttributes
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		got = append(got, args.Get(0).(temporal.SearchAttributes))
	}).Return(nil)
	done := h.oneVisit()
	h.run(req, testPolicy(), 30*time.Hour)
	wantStatus(t, wantOK(t, done), sop.StatusClosed)
	if len(got) != 1 {
		t.Fatalf("%d upserts, want exactly one", len(got))
	}
	sa := got[0]
	if v, _ := sa.GetKeyword(SARegion); v != req.Customer.Region {
		t.Errorf("region %q, want %q", v, req.Customer.Region)
	}
	if v, _ := sa.GetKeyword(SAKind); v != string(sop.KindRepair) {
		t.Errorf("kind %q, want repair", v)
	}
	if n := sa.Size(); n != 2 {
		t.Errorf("%d attributes set, want region and kind", n)
	}
}

// What a run mends: region and kind missing or wrong are set, an older
// run's status, engineer and warranty removed, and nothing when the
// request was started with what it should have.
func TestAttributeFixes(t *testing.T) {
	s := &State{Request: goodRequest()}
	s.Request.Kind = sop.KindRepair
	region := s.Request.Customer.Region
	for _, c := range []struct {
		name string
		have temporal.SearchAttributes
		want []saFix
	}{
		{"started through the API", StartSearchAttributes(s.Request), nil},
		{"started without attributes", temporal.NewSearchAttributes(), []saFix{{SARegion, region}, {SAKind, "repair"}}},
		{"a wrong region", temporal.NewSearchAttributes(SARegion.ValueSet("elsewhere"), SAKind.ValueSet("repair")), []saFix{{SARegion, region}}},
		{"continued from an older run", temporal.NewSearchAttributes(SARegion.ValueSet(region), SAKind.ValueSet("repair"),
			SAStatus.ValueSet("scheduled"), SAEngineer.ValueSet("E-9"), SAWarranty.ValueSet("in")),
			[]saFix{{SAStatus, ""}, {SAEngineer, ""}, {SAWarranty, ""}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := s.attributeFixes(c.have)
			if !slices.EqualFunc(got, c.want, func(a, b saFix) bool { return a.key.GetName() == b.key.GetName() && a.value == b.value }) {
				t.Fatalf("fixes %v, want %v", got, c.want)
			}
		})
	}
}

// Requests begun before stepsStartAttributes keep setting their exact
// status as it changes, so their recorded histories replay.
func TestOlderRunsStillUpsertTheirStatus(t *testing.T) {
	h := newHarness(t)
	h.env.OnGetVersion(changeLocalSteps, workflow.DefaultVersion, StepsVersionNow).Return(workflow.Version(stepsComplete))
	var statuses []string
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(SAStatus); ok {
			statuses = append(statuses, v)
		}
	}).Return(nil)
	done := h.oneVisit()
	h.run(goodRequest(), testPolicy(), 30*time.Hour)
	wantStatus(t, wantOK(t, done), sop.StatusClosed)
	for _, want := range []sop.Status{sop.StatusTriage, sop.StatusScheduled, sop.StatusAtDoor, sop.StatusInService, sop.StatusClosed} {
		if !slices.Contains(statuses, string(want)) {
			t.Errorf("no upsert of status %s (upserted: %v)", want, statuses)
		}
	}
}
