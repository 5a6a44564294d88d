package sop

import (
	"testing"
	"time"
)

// R1.2: what makes a request's data incomplete or implausible.
func TestR1_2_Problems(t *testing.T) {
	today := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	good := Request{Customer: Customer{Name: "A", Phone: "+86 138-0013 8000", Address: "X"}, Product: Product{Model: "M", PurchaseDate: "2026-01-01"}, Symptoms: "s"}
	if p := good.Problems(today); len(p) != 0 {
		t.Fatalf("good request has problems %v", p)
	}
	bad := Request{Customer: Customer{Phone: "12"}, Product: Product{PurchaseDate: "01/02/2026"}}
	got := bad.Problems(today).Map()
	for _, f := range []string{"customer.name", "customer.address", "customer.phone", "product.model", "product.purchase_date", "symptoms"} {
		if got[f] == "" {
			t.Errorf("%s not reported: %v", f, got)
		}
	}
	if r := (Request{Kind: KindReturn}); r.Problems(today).Map()["symptoms"] != "" {
		t.Error("a return needs no symptoms")
	}
}

func TestEventValidation(t *testing.T) {
	ten, zero := 10, 0
	yes := true
	for _, tc := range []struct {
		ev    Event
		field string
	}{
		{Event{}, "type"},
		{Event{Type: "teleport"}, "type"},
		{Event{Type: EvTriaged, Category: "weather"}, "category"},
		{Event{Type: EvConsultationGiven}, "accepted"},
		{Event{Type: EvDelayed, Minutes: &zero}, "minutes"},
		{Event{Type: EvCompleted, QualityRating: &ten, AttitudeRating: &ten, Satisfied: &yes, SignedByCustomer: &yes, FixCertain: &yes}, "quality_rating"},
		{Event{Type: EvEntryRefused, Reason: "rain"}, "reason"},
		{Event{Type: EvAppointmentRequested, Start: &time.Time{}, End: &time.Time{}}, "end"},
	} {
		if f := tc.ev.Validate(); f[tc.field] == "" {
			t.Errorf("%s: %s not reported (%v)", tc.ev.Type, tc.field, f)
		}
	}
	if f := (Event{Type: EvTriaged, Category: CategoryQuality}).Validate(); len(f) != 0 {
		t.Errorf("valid triage refused: %v", f)
	}
	if !EvCompensationDecision.Allows(RoleCallCentre) || EvCompensationDecision.Allows(RoleEngineer) || !EvTriaged.Allows(RoleAdmin) {
		t.Error("roles of events")
	}
}
