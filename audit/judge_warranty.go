package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// Judges of intake, triage, warranty and returns (R1.1, R1.3, R2.1, R2.3,
// R3.1–R3.3, R12.6–R12.8), registered in judge_intake.go.

// judgeIntake (R1.1) judges what the intake carried. A request carries the
// customer's name, address and phone, the product's model, the purchase
// date and the fault's symptoms (sop-rules R1.1; 003 step 1); the call
// centre starts it. What is missing or implausible must not be acted on: it
// is sent to verification at intake (R1.2). So R1.1 is met when the request
// began with every field present and plausible (sop.Request.Problems, the
// rules of today), or when what was missing was sent to verification at the
// intake itself; breached when there is no intake, when someone else than
// the call centre started it, or when an incomplete or implausible request
// went on without verification. Serial, spec and colour ("if known") and the
// customer's wishes are reported, never required.
func judgeIntake(f *facts) (string, string) {
	e := f.first(sop.KindRequestStarted)
	if e == nil {
		return Breached, "no intake recorded"
	}
	if !strings.HasPrefix(e.Actor, string(sop.RoleCallCentre)) && !strings.HasPrefix(e.Actor, string(sop.RoleAdmin)) {
		return Breached, fmt.Sprintf("started by %s, not by the call centre", e.Actor)
	}
	problems := f.req.Problems(e.At.In(f.p.Location()))
	if len(problems) == 0 {
		known := "name, address, phone, model, purchase date"
		if f.req.Kind == "" || f.req.Kind == sop.KindRepair {
			known += ", symptoms"
		}
		if f.req.CustomerRequests != "" {
			known += fmt.Sprintf("; the customer asks: %q", f.req.CustomerRequests)
		}
		return Met, fmt.Sprintf("started by %s at %s carrying %s", e.Actor, e.At.Format(time.RFC3339), known)
	}
	if v := f.firstAfter(e.At, sop.KindVerificationNeeded); v != nil && v.At.Equal(e.At) {
		return Met, fmt.Sprintf("intake incomplete or implausible (%s): sent to verification at intake (R1.2)", problems)
	}
	return Breached, fmt.Sprintf("intake incomplete or implausible (%s) and not sent to verification", problems)
}

// judgeOneWorkflow (R1.3): one request is one workflow. The steps judged
// must all belong to this request, and the chain of its runs holds one
// start: a second request_started is a second workflow for the same id.
func judgeOneWorkflow(f *facts) (string, string) {
	var ids []string
	for _, s := range f.steps {
		if s.RequestID != "" && !slices.Contains(ids, s.RequestID) {
			ids = append(ids, s.RequestID)
		}
	}
	if len(ids) > 1 {
		return Breached, fmt.Sprintf("the steps belong to %d requests (%s): one request, one workflow", len(ids), strings.Join(ids, ", "))
	}
	starts := f.all(sop.KindRequestStarted)
	switch len(starts) {
	case 0:
		return NotApplicable, "no intake recorded"
	case 1:
		return Met, fmt.Sprintf("one workflow for request %s (%d run(s), started %s)", f.req.ID, f.runs, starts[0].At.Format(time.RFC3339))
	}
	var at []string
	for _, s := range starts {
		at = append(at, s.At.Format(time.RFC3339))
	}
	return Breached, fmt.Sprintf("request %s started %d times (%s): a second workflow for the same request", f.req.ID, len(starts), strings.Join(at, ", "))
}

// judgeTriage (R2.1): the likely cause, remedy and parts are decided from
// the symptoms before a visit is planned. Breached when a visit is booked
// or made with no triage, or with a triage made on symptoms that changed
// afterwards (a correction, R4.2) and not triaged again.
func judgeTriage(f *facts) (string, string) {
	if f.req.Kind != "" && f.req.Kind != sop.KindRepair {
		return NotApplicable, fmt.Sprintf("a %s request has no triage", f.req.Kind)
	}
	var (
		triaged  *workflows.Entry
		stale    time.Time // symptoms changed after the triage at this time
		symptoms = f.req.Symptoms
		visits   int
	)
	for _, s := range f.steps {
		if s.Projection.Symptoms != "" && s.Projection.Symptoms != symptoms {
			if triaged != nil && stale.IsZero() {
				stale = s.At
			}
			symptoms = s.Projection.Symptoms
		}
		for _, e := range s.Entries {
			switch e.Kind {
			case sop.KindTriaged:
				triaged, stale = &e, time.Time{}
			case sop.KindTriageReopened:
				triaged = nil
				stale = time.Time{}
			case sop.KindAppointmentBooked, sop.KindArrived:
				visits++
				switch {
				case triaged == nil:
					return Breached, fmt.Sprintf("%s at %s with no triage of the symptoms", e.Kind, e.At.Format(time.RFC3339))
				case !stale.IsZero():
					return Breached, fmt.Sprintf("%s at %s on a triage made before the symptoms changed at %s, not triaged again", e.Kind, e.At.Format(time.RFC3339), stale.Format(time.RFC3339))
				}
			}
		}
	}
	if triaged == nil {
		return NotApplicable, "not triaged yet"
	}
	return Met, fmt.Sprintf("triaged at %s before any visit (%s)", triaged.At.Format(time.RFC3339), triaged.Detail)
}

// judgeParts (R2.3): parts named at triage are requisitioned at once and
// the visit is planned when they are reserved. Breached when a visit is
// booked after a triage that named parts and before they were reserved
// (whichever path the triage took: a consultation first, HQ first).
func judgeParts(f *facts) (string, string) {
	var (
		parts    []string
		triageAt time.Time
		reqAt    *time.Time
		resAt    *time.Time
		met      string
	)
	for _, s := range f.steps {
		if s.Event != nil && s.Event.Type == sop.EvTriaged {
			parts, triageAt, reqAt, resAt = s.Event.Parts, s.At, nil, nil
		}
		for _, e := range s.Entries {
			switch e.Kind {
			case sop.KindPartsRequisitioned:
				if reqAt == nil {
					at := e.At
					reqAt = &at
				}
			case sop.KindPartsReserved:
				if resAt == nil {
					at := e.At
					resAt = &at
				}
			case sop.KindAppointmentBooked:
				if len(parts) == 0 {
					continue
				}
				switch {
				case reqAt == nil:
					return Breached, fmt.Sprintf("visit booked at %s; parts named at triage (%s) never requisitioned", e.At.Format(time.RFC3339), strings.Join(parts, ", "))
				case resAt == nil:
					return Breached, fmt.Sprintf("visit booked at %s before the parts (%s) were reserved", e.At.Format(time.RFC3339), strings.Join(parts, ", "))
				}
				if met == "" {
					met = fmt.Sprintf("parts (%s) requisitioned %s after triage, reserved %s later, visit booked after", strings.Join(parts, ", "), span(reqAt.Sub(triageAt)), span(resAt.Sub(*reqAt)))
				}
			}
		}
	}
	switch {
	case met != "":
		return Met, met
	case len(parts) == 0:
		return NotApplicable, "no parts named at triage"
	case reqAt == nil:
		return NotApplicable, fmt.Sprintf("parts named at triage (%s), no visit planned yet", strings.Join(parts, ", "))
	}
	return NotApplicable, fmt.Sprintf("parts requisitioned %s after triage, no visit booked yet", span(reqAt.Sub(triageAt)))
}

// charge is a completion that recorded a charge, with what made it free or
// chargeable at that time.
type charge struct {
	at       time.Time
	amount   float64
	warranty string // the projection's "in" or "out" at the completion
	category string // the latest triage's category before it
}

// charges lists every completed visit, charged or not.
func (f *facts) charges() []charge {
	var out []charge
	cat := ""
	for _, s := range f.steps {
		if s.Event == nil {
			continue
		}
		switch s.Event.Type {
		case sop.EvTriaged:
			cat = s.Event.Category
		case sop.EvCompleted:
			c := charge{at: s.At, warranty: s.Projection.Warranty, category: cat}
			if s.Event.Record != nil {
				c.amount = s.Event.Record.Charge
			}
			out = append(out, c)
		}
	}
	return out
}

// free says a visit is free of charge (R3.1, R12.6): in warranty and not
// misuse.
func (c charge) free() bool { return c.warranty == "in" && c.category != sop.CategoryMisuse }

// judgeFreeRepair (R3.1): quality faults in warranty are repaired free of
// charge. Breached when a charge was recorded on a visit that was free.
func judgeFreeRepair(f *facts) (string, string) {
	ws := f.all(sop.KindWarrantyDecided, sop.R3_1)
	if len(ws) == 0 {
		return NotApplicable, "no warranty decision (not a repair, or data not verified yet)"
	}
	w := ws[len(ws)-1] // the latest: a corrected purchase date decides again (R4.2)
	for _, c := range f.charges() {
		if c.amount > 0 && c.free() {
			return Breached, fmt.Sprintf("charged %.2f at %s on a free repair (in warranty, %s fault)", c.amount, c.at.Format(time.RFC3339), nonEmpty(c.category, "quality"))
		}
	}
	return Met, w.Detail
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// judgeInstallationDamage (R12.6): damage caused by installation is covered
// by the warranty like a quality fault: free in warranty, charged out of it.
func judgeInstallationDamage(f *facts) (string, string) {
	if !slices.ContainsFunc(f.events(sop.EvTriaged), func(s workflows.CommitInput) bool { return s.Event.Category == sop.CategoryInstallation }) {
		return NotApplicable, "no installation damage"
	}
	var done []string
	for _, c := range f.charges() {
		if c.category != sop.CategoryInstallation {
			continue
		}
		if c.free() && c.amount > 0 {
			return Breached, fmt.Sprintf("installation damage in warranty charged %.2f at %s", c.amount, c.at.Format(time.RFC3339))
		}
		done = append(done, fmt.Sprintf("visit at %s %s", c.at.Format(time.RFC3339), yes(c.warranty == "in", "free in warranty", fmt.Sprintf("out of warranty, charged %.2f", c.amount))))
	}
	if len(done) > 0 {
		return Met, "installation damage covered like a quality fault: " + strings.Join(done, "; ")
	}
	if e := f.first(sop.KindWarrantyDecided, sop.R12_6); e != nil {
		return Met, e.Detail
	}
	return NotApplicable, "installation damage, no visit completed yet"
}

// judgeFee (R3.2): out of warranty (or misuse) the customer is told the fee
// standard before the visit. Breached when a charged visit happened (the
// engineer arrived) without the fee quoted before it.
func judgeFee(f *facts) (string, string) {
	if !f.chargeable() {
		return NotApplicable, "not charged"
	}
	fee := f.first(sop.KindFeeQuoted)
	visit := f.first(sop.KindArrived)
	switch {
	case visit == nil && fee == nil:
		return NotApplicable, "charged, no visit yet and fee not quoted yet"
	case visit == nil:
		return Met, fmt.Sprintf("fee standard quoted at %s; no visit yet", fee.At.Format(time.RFC3339))
	case fee == nil:
		return Breached, fmt.Sprintf("charged visit at %s without the fee standard quoted before it", visit.At.Format(time.RFC3339))
	case fee.At.After(visit.At):
		return Breached, fmt.Sprintf("fee standard quoted at %s, after the visit at %s", fee.At.Format(time.RFC3339), visit.At.Format(time.RFC3339))
	}
	return Met, fmt.Sprintf("fee standard quoted %s before the visit; engineer brings a receipt", span(visit.At.Sub(fee.At)))
}

// returnDecision is the first decision on a return (R3.3) and the step that
// made it.
func (f *facts) returnDecision() (*workflows.Entry, *workflows.CommitInput) {
	for i := range f.steps {
		for j, e := range f.steps[i].Entries {
			if e.Kind == sop.KindReturnDecided {
				if o := outcome(e); o == sop.OutApproved || o == sop.OutRefused {
					return &f.steps[i].Entries[j], &f.steps[i]
				}
			}
		}
	}
	return nil, nil
}

// judgeReturn (R3.3): the decision on a return follows the rules (window,
// receipt, packaging, special price, installed goods) and accepted goods go
// to the store up to sop.return_area_limit_m2 (2 m² for requests begun
// before the key), above it to the warehouse by appointment.
func judgeReturn(f *facts) (string, string) {
	d, s := f.returnDecision()
	if d == nil || f.req.Return == nil {
		return NotApplicable, "not a return or exchange"
	}
	r := *f.req.Return
	why := workflows.ReturnProblems(r, f.req.Product.PurchaseDate, f.p.ReturnWindow.Std(), d.At.In(f.p.Location()))
	if outcome(*d) == sop.OutRefused {
		if len(why) == 0 && !workflows.CustomMadeNotReturnable(r) {
			return Breached, "refused although returnable under R3.3"
		}
		if workflows.CustomMadeNotReturnable(r) {
			why = append(why, "custom-ordered goods without a quality problem (R12.8)")
		}
		return Met, "refused: " + strings.Join(why, "; ")
	}
	if len(why) > 0 {
		return Breached, "accepted although: " + strings.Join(why, "; ")
	}
	limit := f.p.ReturnAreaLimitM2
	if limit == 0 {
		limit = 2
	}
	want := "store"
	if r.AreaM2 > limit {
		want = "warehouse"
	}
	got := returnPlace(*d, *s)
	if got != want {
		return Breached, fmt.Sprintf("%g m² against a limit of %g m² belongs at the %s, but was sent to the %s", r.AreaM2, limit, want, got)
	}
	return Met, fmt.Sprintf("accepted: %g m² (limit %g m²) handled at the %s", r.AreaM2, limit, got)
}

// judgeCustomMade (R12.8): custom-ordered goods without a quality problem
// are not returnable.
func judgeCustomMade(f *facts) (string, string) {
	r := f.req.Return
	switch {
	case r == nil:
		return NotApplicable, "not a return or exchange"
	case !r.CustomMade:
		return NotApplicable, "not custom-ordered goods"
	case r.QualityProblem:
		return NotApplicable, "custom-ordered goods with a quality problem: R3.3 decides"
	}
	d, _ := f.returnDecision()
	switch {
	case d == nil:
		return NotApplicable, "no decision yet"
	case outcome(*d) == sop.OutApproved:
		return Breached, fmt.Sprintf("custom-ordered goods without a quality problem accepted for return at %s", d.At.Format(time.RFC3339))
	}
	return Met, fmt.Sprintf("custom-ordered goods without a quality problem refused at %s", d.At.Format(time.RFC3339))
}

// judgeRemoteGuidance (R12.7): a fault triaged for remote guidance (phone or
// video) is given it, with a record, before any visit. Breached when a visit
// was booked after such a triage without the guidance given.
func judgeRemoteGuidance(f *facts) (string, string) {
	var asked *workflows.CommitInput
	for i, s := range f.steps {
		if s.Event != nil && s.Event.Type == sop.EvTriaged && sop.Bool(s.Event.Remote, false) && s.Event.Category != sop.CategoryMisuse {
			asked = &f.steps[i]
			break
		}
	}
	if asked == nil {
		return NotApplicable, "no remote guidance asked for a fault other than misuse"
	}
	given := f.firstEventAfter(asked.At, sop.EvConsultationGiven)
	booked := f.firstAfter(asked.At, sop.KindAppointmentBooked)
	switch {
	case given == nil && booked != nil:
		return Breached, fmt.Sprintf("remote guidance asked at triage (%s fault) at %s, but a visit was booked at %s without it", asked.Event.Category, asked.At.Format(time.RFC3339), booked.At.Format(time.RFC3339))
	case given == nil:
		return NotApplicable, "remote guidance asked at triage, not given yet"
	case booked != nil && booked.At.Before(given.At):
		return Breached, fmt.Sprintf("visit booked at %s before the remote guidance at %s", booked.At.Format(time.RFC3339), given.At.Format(time.RFC3339))
	}
	return Met, fmt.Sprintf("%s fault: remote guidance given %s after triage (%s by the customer)", asked.Event.Category, span(given.At.Sub(asked.At)), yes(sop.Bool(given.Event.Accepted, false), "accepted", "not accepted"))
}

// firstEventAfter is the first step of an event of type t at or after at.
func (f *facts) firstEventAfter(at time.Time, t sop.EventType) *workflows.CommitInput {
	for i, s := range f.steps {
		if s.Event != nil && s.Event.Type == t && !s.At.Before(at) {
			return &f.steps[i]
		}
	}
	return nil
}
