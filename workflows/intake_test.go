package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
)

// R1.1: a request carries the customer's and product's data; with complete
// data it goes straight to triage, and the request data is kept as given.
func TestR1_1_RequestWithCompleteDataGoesToTriage(t *testing.T) {
	h := newHarness(t)
	v := h.viewAt(time.Minute)
	h.run(goodRequest(), testPolicy(), time.Hour)

	wantStatus(t, *v, sop.StatusTriage)
	if v.Customer.Name != "王芳" || v.Product.Model != "CT-800" || v.Symptoms != "glaze cracking near the edge" {
		t.Fatalf("request data not kept: %+v", v)
	}
	e := h.one(sop.KindRequestStarted)
	wantRule(t, e, sop.R1_1)
	wantAt(t, e, t0)
	wantDetail(t, e, "王芳", "CT-800")
	h.none(sop.KindVerificationNeeded)
	wantPending(t, *v, sop.EvTriaged)
}

// R1.2: incomplete or implausible data puts the request into verification;
// no visit is planned on unverified data; verification not done within
// sop.verify_timeout is escalated to the centre, exactly then.
func TestR1_2_IncompleteDataIsVerifiedAndEscalatedAfterTimeout(t *testing.T) {
	h := newHarness(t)
	req := goodRequest()
	req.Customer.Address = ""
	req.Customer.Phone = "12ab"
	req.Product.PurchaseDate = ""

	early := h.cc(10*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(t0.Add(24 * time.Hour)), End: ptr(t0.Add(25 * time.Hour))})
	triage := h.cc(20*time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	stillBad := h.cc(3*time.Hour, sop.Event{Type: sop.EvInfoVerified, Customer: &sop.Customer{Address: "上海市徐汇区漕溪北路 1 号"}})
	fixed := h.cc(4*time.Hour, sop.Event{Type: sop.EvInfoVerified,
		Customer: &sop.Customer{Address: "上海市徐汇区漕溪北路 1 号", Phone: "021-6487 0000"},
		Product:  &sop.Product{PurchaseDate: "2025-12-24"}})
	before := h.viewAt(time.Hour)
	h.run(req, testPolicy(), 5*time.Hour)

	wantStatus(t, *before, sop.StatusVerifying)
	if len(before.Problems) != 3 || before.Problems["customer.address"] != "missing" || before.Problems["product.purchase_date"] != "missing" {
		t.Fatalf("problems %v", before.Problems)
	}
	e := h.one(sop.KindVerificationNeeded)
	wantRule(t, e, sop.R1_2)
	wantDetail(t, e, "customer.address missing", "customer.phone", "product.purchase_date missing")
	if len(h.notes(sop.MsgVerifyData)) != 1 {
		t.Fatal("the centre was not asked to verify the data")
	}

	wantRejected(t, early, ErrNotValidNow, "verifying")
	wantRejected(t, triage, ErrNotValidNow, "info_verified")

	esc := h.one(sop.KindEscalated)
	wantRule(t, esc, sop.R1_2)
	wantAt(t, esc, t0.Add(2*time.Hour))
	if n := h.notes(sop.MsgVerifyOverdue); len(n) != 1 || !n[0].Urgent {
		t.Fatalf("escalation notification %+v", n)
	}

	wantRejected(t, stillBad, ErrNotValidNow, "customer.phone")
	v := wantOK(t, fixed)
	wantStatus(t, v, sop.StatusTriage)
	ver := h.one(sop.KindVerified)
	wantRule(t, ver, sop.R1_2)
	wantAt(t, ver, t0.Add(4*time.Hour))
	wantDetail(t, ver, "customer.address", "customer.phone", "product.purchase_date")
	if v.Warranty != "in" {
		t.Fatalf("warranty %q after verification", v.Warranty)
	}
}

// R1.2: verification done in time is not escalated.
func TestR1_2_VerifiedInTimeIsNotEscalated(t *testing.T) {
	h := newHarness(t)
	req := goodRequest()
	req.Symptoms = ""
	ok := h.cc(119*time.Minute, sop.Event{Type: sop.EvInfoVerified, Symptoms: "tiles hollow when tapped"})
	h.run(req, testPolicy(), 10*time.Hour)
	wantStatus(t, wantOK(t, ok), sop.StatusTriage)
	h.none(sop.KindEscalated)
}

// R1.2: a purchase date in the future is implausible.
func TestR1_2_FuturePurchaseDateIsImplausible(t *testing.T) {
	h := newHarness(t)
	req := goodRequest()
	req.Product.PurchaseDate = "2026-03-03"
	v := h.viewAt(time.Minute)
	h.run(req, testPolicy(), time.Hour)
	wantStatus(t, *v, sop.StatusVerifying)
	if v.Problems["product.purchase_date"] != "in the future" {
		t.Fatalf("problems %v", v.Problems)
	}
}

// R2.1: the triage records cause category, parts and whether it can be
// repaired on site; a quality fault in warranty goes to scheduling.
func TestR2_1_TriageRecordsTheAnalysis(t *testing.T) {
	h := newHarness(t)
	tr := h.eng(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality, Note: "likely firing defect"})
	ccTr := h.cc(2*time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.run(goodRequest(), testPolicy(), time.Hour)

	// An engineer not assigned to the request may not triage it.
	wantRejected(t, tr, ErrNotAssigned, "not assigned")
	v := wantOK(t, ccTr)
	wantStatus(t, v, sop.StatusScheduling)
	e := h.one(sop.KindTriaged)
	wantRule(t, e, sop.R2_1)
	wantDetail(t, e, "category quality", "repairable on site")
	h.none(sop.KindFeeQuoted)
	wantPending(t, v, sop.EvAppointmentRequested)
}

// R2.2: misuse gets a phone consultation; exactly sop.consultation_followup
// later the customer is called back; resolved closes the request.
func TestR2_2_ConsultationCallBackExactlyTwoHoursLater(t *testing.T) {
	h := newHarness(t)
	h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryMisuse})
	cons := h.cc(10*time.Minute, sop.Event{Type: sop.EvConsultationGiven, Accepted: ptr(true)})
	tooEarly := h.cc(2*time.Hour, sop.Event{Type: sop.EvFollowupResult, Resolved: ptr(true)})
	atDue := h.viewAt(2*time.Hour + 12*time.Minute)
	res := h.cc(2*time.Hour+15*time.Minute, sop.Event{Type: sop.EvFollowupResult, Resolved: ptr(true)})
	h.run(goodRequest(), testPolicy(), 0)

	v := wantOK(t, cons)
	wantStatus(t, v, sop.StatusConsulting)
	c := h.one(sop.KindConsultation)
	wantRule(t, c, sop.R2_2)
	wantDetail(t, c, "call-back due at 2026-03-02 11:10")

	wantRejected(t, tooEarly, ErrNotValidNow, "not before")

	due := h.one(sop.KindFollowupDue)
	wantRule(t, due, sop.R2_2)
	wantAt(t, due, t0.Add(10*time.Minute+2*time.Hour))
	if len(h.notes(sop.MsgConsultationCallback)) != 1 {
		t.Fatal("the centre was not told to call back")
	}
	wantPending(t, *atDue, sop.EvFollowupResult)

	wantStatus(t, wantOK(t, res), sop.StatusClosed)
	wantRule(t, h.one(sop.KindClosed), sop.R2_2)
	final := h.finalView()
	wantStatus(t, final, sop.StatusClosed)
	h.none(sop.KindFeeQuoted)
}

// R2.2: the call-back follows the configured duration, not a constant.
func TestR2_2_CallBackUsesThePolicyDuration(t *testing.T) {
	h := newHarness(t)
	p := testPolicy()
	p.ConsultationFollowup = sop.D(45 * time.Minute)
	h.cc(0, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryMisuse})
	h.cc(time.Minute, sop.Event{Type: sop.EvConsultationGiven, Accepted: ptr(true)})
	h.run(goodRequest(), p, 3*time.Hour)
	wantAt(t, h.one(sop.KindFollowupDue), t0.Add(46*time.Minute))
}

// R2.2: when the call-back finds the problem persists, a visit is planned;
// a misuse visit is charged, so the fee standard is quoted first (R3.2).
func TestR2_2_ProblemPersistsPlansAVisit(t *testing.T) {
	h := newHarness(t)
	h.cc(0, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryMisuse})
	h.cc(time.Minute, sop.Event{Type: sop.EvConsultationGiven, Accepted: ptr(true)})
	res := h.cc(3*time.Hour, sop.Event{Type: sop.EvFollowupResult, Resolved: ptr(false)})
	h.run(goodRequest(), testPolicy(), 4*time.Hour)
	v := wantOK(t, res)
	wantStatus(t, v, sop.StatusScheduling)
	wantDetail(t, h.one(sop.KindFollowupResult), "persists")
	wantRule(t, h.one(sop.KindFeeQuoted), sop.R3_2)
}

// R2.2: a customer who does not accept the consultation gets a visit, and no call-back.
func TestR2_2_ConsultationRefusedPlansAVisit(t *testing.T) {
	h := newHarness(t)
	h.cc(0, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryMisuse})
	cons := h.cc(time.Minute, sop.Event{Type: sop.EvConsultationGiven, Accepted: ptr(false)})
	h.run(goodRequest(), testPolicy(), 5*time.Hour)
	wantStatus(t, wantOK(t, cons), sop.StatusScheduling)
	h.none(sop.KindFollowupDue)
	wantDetail(t, h.one(sop.KindConsultation), "did not accept")
}

// R2.3: parts possibly out of stock are requisitioned at once; the visit is
// planned when they are reserved.
func TestR2_3_PartsAreRequisitionedBeforeTheVisit(t *testing.T) {
	h := newHarness(t)
	tr := h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality, Parts: []string{"glaze kit GK-2", "edge trim"}})
	book := h.cc(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(t0.Add(48 * time.Hour)), End: ptr(t0.Add(49 * time.Hour))})
	res := h.cc(time.Hour, sop.Event{Type: sop.EvPartsReserved})
	h.run(goodRequest(), testPolicy(), 2*time.Hour)

	v := wantOK(t, tr)
	wantStatus(t, v, sop.StatusAwaitingParts)
	wantPending(t, v, sop.EvPartsReserved)
	e := h.one(sop.KindPartsRequisitioned)
	wantRule(t, e, sop.R2_3)
	wantAt(t, e, t0.Add(time.Minute))
	var req []string
	for _, c := range h.commits {
		req = append(req, c.PartsRequisition...)
	}
	if len(req) != 2 || req[0] != "glaze kit GK-2" {
		t.Fatalf("requisition %v", req)
	}
	if len(h.notes(sop.MsgPartsRequisition)) != 1 {
		t.Fatal("warehouse not told")
	}
	wantRejected(t, book, ErrNotValidNow, "awaiting_parts")
	wantStatus(t, wantOK(t, res), sop.StatusScheduling)
	wantRule(t, h.one(sop.KindPartsReserved), sop.R2_3)
}

// R2.4: a fault never repaired before is taken to HQ's technical department
// before the visit; its answer lets the visit be planned; no answer in time
// is escalated.
func TestR2_4_UnknownFaultConsultsHQBeforeTheVisit(t *testing.T) {
	h := newHarness(t)
	p := testPolicy()
	h.cc(0, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryUnknown})
	book := h.cc(time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(t0.Add(48 * time.Hour)), End: ptr(t0.Add(49 * time.Hour))})
	ans := h.cc(30*time.Hour, sop.Event{Type: sop.EvHQAnswer, Answer: "re-fire with kit GK-3"})
	h.run(goodRequest(), p, 31*time.Hour)

	e := h.one(sop.KindHQEscalation)
	wantRule(t, e, sop.R2_4)
	if len(h.notes(sop.MsgHQConsultation)) != 1 {
		t.Fatal("HQ not consulted")
	}
	wantRejected(t, book, ErrNotValidNow, "hq_answer")
	esc := h.one(sop.KindEscalated)
	wantRule(t, esc, sop.R2_4)
	wantAt(t, esc, t0.Add(24*time.Hour))
	v := wantOK(t, ans)
	wantStatus(t, v, sop.StatusScheduling)
	a := h.one(sop.KindHQAnswered)
	wantDetail(t, a, "late", "GK-3")
}

// R2.5: a fault that cannot be repaired in the home plans a workshop repair
// with a loaner unit.
func TestR2_5_WorkshopRepairWithLoanerIsPlanned(t *testing.T) {
	h := newHarness(t)
	tr := h.cc(0, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality, OnsiteRepairable: ptr(false)})
	h.run(goodRequest(), testPolicy(), time.Hour)
	wantStatus(t, wantOK(t, tr), sop.StatusScheduling)
	e := h.one(sop.KindWorkshop)
	wantRule(t, e, sop.R2_5)
	wantDetail(t, e, "loaner")
}

// R3.1: warranty runs sop.warranty_months from the purchase date: the day
// before its end is in warranty, the day it ends is out.
func TestR3_1_WarrantyFromPurchaseDate(t *testing.T) {
	for _, tc := range []struct {
		bought string
		months int
		want   string
	}{
		{"2025-09-01", 12, "in"},
		{"2025-03-03", 12, "in"},  // ends 2026-03-03: t0 (2026-03-02) is the last day
		{"2025-03-02", 12, "out"}, // ended on t0
		{"2024-01-10", 12, "out"},
		{"2024-01-10", 36, "in"},
	} {
		t.Run(tc.bought+"/"+tc.want, func(t *testing.T) {
			h := newHarness(t)
			req := goodRequest()
			req.Product.PurchaseDate = tc.bought
			p := testPolicy()
			p.WarrantyMonths = tc.months
			v := h.viewAt(time.Minute)
			h.run(req, p, time.Hour)
			if v.Warranty != tc.want {
				t.Fatalf("warranty %q, want %q", v.Warranty, tc.want)
			}
			e := h.one(sop.KindWarrantyDecided)
			wantRule(t, e, sop.R3_1)
			wantDetail(t, e, tc.bought)
			if (tc.want == "out") != v.Chargeable {
				t.Fatalf("chargeable %v with warranty %s", v.Chargeable, tc.want)
			}
		})
	}
}

// R3.2: out of warranty the fee standard is quoted to the customer before
// the visit and the engineer is told to bring a receipt.
func TestR3_2_FeeQuotedBeforeTheVisitOutOfWarranty(t *testing.T) {
	h := newHarness(t)
	req := goodRequest()
	req.Product.PurchaseDate = "2023-05-20"
	h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	book := h.cc(5*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(t0.Add(26 * time.Hour)), End: ptr(t0.Add(27 * time.Hour))})
	h.run(req, testPolicy(), 2*time.Hour)

	wantStatus(t, wantOK(t, book), sop.StatusScheduled)
	fee := h.one(sop.KindFeeQuoted)
	wantRule(t, fee, sop.R3_2)
	wantDetail(t, fee, "out of warranty", "receipt")
	booked := h.one(sop.KindAppointmentBooked)
	if !fee.At.Before(booked.At) && !fee.At.Equal(booked.At) {
		t.Fatal("fee quoted after the booking")
	}
	if n := h.notes(sop.MsgFeeStandard); len(n) != 1 || n[0].To != sop.ToCustomer {
		t.Fatalf("fee standard notification %+v", n)
	}
	if n := h.notes(sop.MsgNewJob); len(n) != 1 || n[0].Params["receipt"] != "yes" {
		t.Fatalf("engineer's job notice %+v", n)
	}
}

// Once E-1 is assigned, another engineer's events are refused (403) at
// every stage of the visit, without naming the engineer who is assigned;
// the request carries on with E-1 untouched.
func TestAnotherEngineerActsOnAnAssignedRequest(t *testing.T) {
	h := newHarness(t)
	e2 := sop.Actor{Role: sop.RoleEngineer, Subject: "E-2"}
	start := t0.Add(5 * time.Hour)
	h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.cc(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: &start, End: ptr(start.Add(time.Hour))})
	before := h.send(time.Hour, e2, sop.Event{Type: sop.EvDeparted})
	h.eng(4*time.Hour+20*time.Minute, sop.Event{Type: sop.EvDeparted})
	h.eng(4*time.Hour+55*time.Minute, sop.Event{Type: sop.EvArrived})
	atDoor := h.send(4*time.Hour+56*time.Minute, e2, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
	h.eng(4*time.Hour+57*time.Minute, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
	inHome := h.send(5*time.Hour+10*time.Minute, e2, sop.Event{Type: sop.EvDiagnosed, Cause: "x", Onsite: ptr(true)})
	v := h.viewAt(5*time.Hour + 11*time.Minute)
	h.run(goodRequest(), testPolicy(), 6*time.Hour)

	for _, r := range []*result{before, atDoor, inHome} {
		wantRejected(t, r, ErrNotAssigned, `engineer "E-2" is not assigned`)
		if strings.Contains(r.rejected.Error(), "E-1") {
			t.Fatalf("the refusal names the assigned engineer: %v", r.rejected)
		}
	}
	if v.Status != sop.StatusInService || v.Engineer != "E-1" {
		t.Fatalf("after the other engineer's events: %s with %s", v.Status, v.Engineer)
	}
}
