package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// The service and its completion (R2.5, R7.1–R7.5, R8.1–R8.3, R12.2–R12.4),
// judged per visit, per question, per claim, per incident and per pause.
func init() {
	register(sop.R2_5, judgeWorkshop)
	register(sop.R7_1, judgeDiagnosis)
	register(sop.R7_2, judgeServiceQuestions)
	register(sop.R7_3, judgeCompensation)
	register(sop.R7_4, judgeCalledAway)
	register(sop.R7_5, judgeIncident)
	register(sop.R8_1, judgeCompletion)
	register(sop.R8_2, judgeSignature)
	register(sop.R8_3, judgeRevisits)
	register(sop.R12_2, judgeWorkExplained)
	register(sop.R12_3, judgeRepairRefused)
	register(sop.R12_4, judgePauses)
}

// visitName names the visit of a completion for the evidence.
func visitName(s workflows.CommitInput) string {
	if s.ServiceRecord != nil {
		return fmt.Sprintf("visit %d", s.ServiceRecord.Visit)
	}
	return fmt.Sprintf("visit %d", s.Projection.Visits)
}

// visitLog is what happened in the home since the engineer entered it: the
// entries of the current visit by kind, reset at each door_answered.
type visitLog struct {
	kinds map[sop.Kind][]workflows.Entry
}

// eachVisit runs fn for every step with the visitLog before it.
func (f *facts) eachVisit(fn func(s workflows.CommitInput, v *visitLog)) {
	v := &visitLog{kinds: map[sop.Kind][]workflows.Entry{}}
	for _, s := range f.steps {
		for _, e := range s.Entries {
			if e.Kind == sop.KindDoorAnswered {
				v = &visitLog{kinds: map[sop.Kind][]workflows.Entry{}}
			}
		}
		fn(s, v)
		for _, e := range s.Entries {
			v.kinds[e.Kind] = append(v.kinds[e.Kind], e)
		}
	}
}

// judgeDiagnosis: R7.1, every completed visit found the real cause first.
func judgeDiagnosis(f *facts) (string, string) {
	var ok, broken []string
	f.eachVisit(func(s workflows.CommitInput, v *visitLog) {
		if s.Event == nil || s.Event.Type != sop.EvCompleted {
			return
		}
		d := v.kinds[sop.KindDiagnosed]
		if len(d) == 0 {
			broken = append(broken, fmt.Sprintf("%s completed at %s with no diagnosis", visitName(s), s.At.Format(time.RFC3339)))
			return
		}
		ok = append(ok, fmt.Sprintf("%s diagnosed %s before completion", visitName(s), span(s.At.Sub(d[len(d)-1].At))))
	})
	switch {
	case len(broken) > 0:
		return Breached, strings.Join(broken, "; ")
	case len(ok) > 0:
		return Met, strings.Join(ok, "; ")
	}
	if e := f.first(sop.KindDiagnosed); e != nil {
		return Met, e.Detail
	}
	return NotApplicable, "no visit completed or diagnosed"
}

// judgeWorkshop: R2.5, a workshop repair only with the customer's choice
// recorded, and its pickup visit completed with a record and card.
func judgeWorkshop(f *facts) (string, string) {
	var ok, broken []string
	pending := -1 // step index of an accepted workshop repair awaiting its completion
	for i, s := range f.steps {
		if s.Event == nil {
			continue
		}
		switch s.Event.Type {
		case sop.EvDiagnosed:
			if sop.Bool(s.Event.Onsite, true) {
				continue
			}
			at := s.At.Format(time.RFC3339)
			switch a := s.Event.WorkshopAccepted; {
			case a == nil:
				broken = append(broken, fmt.Sprintf("workshop repair at %s assumed: the customer's choice was not recorded", at))
				if f.hasWorkshopStatusAt(i) {
					broken = append(broken, fmt.Sprintf("the pickup visit at %s has no service record or card", at))
				}
			case *a:
				pending = i
			default:
				ok = append(ok, fmt.Sprintf("workshop repair declined by the customer at %s: choice respected", at))
			}
		case sop.EvCompleted:
			if pending >= 0 {
				ok = append(ok, fmt.Sprintf("workshop repair accepted at %s; pickup %s completed with its record and card %s later",
					f.steps[pending].At.Format(time.RFC3339), visitName(s), span(s.At.Sub(f.steps[pending].At))))
				pending = -1
			}
		}
	}
	switch {
	case len(broken) > 0:
		return Breached, strings.Join(broken, "; ")
	case pending >= 0:
		return NotApplicable, "workshop repair accepted; the pickup visit is not completed yet"
	case len(ok) > 0:
		return Met, strings.Join(ok, "; ")
	}
	if e := f.first(sop.KindWorkshop, sop.R2_5); e != nil {
		return Met, "workshop repair with a loaner unit planned at triage"
	}
	return NotApplicable, "no workshop repair"
}

func (f *facts) hasWorkshopStatusAt(i int) bool {
	return f.steps[i].Projection.Status == sop.StatusWorkshop && f.steps[i].ServiceRecord == nil
}

// judgeServiceQuestions: R7.2, every question asked during service is
// answered within sop.hq_answer_within, even after the request closed.
func judgeServiceQuestions(f *facts) (string, string) {
	asks := f.all(sop.KindHQEscalation, sop.R7_2)
	if len(asks) == 0 {
		return NotApplicable, "no new problem reported during service"
	}
	limit := f.p.HQAnswerWithin.Std()
	answers := f.all(sop.KindHQAnswered, sop.R7_2)
	var ok, broken, open []string
	for i, ask := range asks {
		var ans *workflows.Entry
		for _, a := range answers {
			if !a.At.Before(ask.At) && (i+1 == len(asks) || a.At.Before(asks[i+1].At)) {
				ans = &a
				break
			}
		}
		q := fmt.Sprintf("question %d (asked %s)", i+1, ask.At.Format(time.RFC3339))
		switch {
		case ans != nil && ans.At.Sub(ask.At) <= limit+slack:
			ok = append(ok, fmt.Sprintf("%s answered %s later (limit %s)", q, span(ans.At.Sub(ask.At)), span(limit)))
		case ans != nil:
			broken = append(broken, fmt.Sprintf("%s answered %s later, over the %s limit", q, span(ans.At.Sub(ask.At)), span(limit)))
		case f.firstAfter(ask.At, sop.KindEscalated, sop.R7_2) != nil:
			broken = append(broken, fmt.Sprintf("%s not answered within %s: escalated to the after-sales manager", q, span(limit)))
		case outcome(ask) == "" && f.firstAfter(ask.At, sop.KindClosed) != nil:
			broken = append(broken, fmt.Sprintf("%s dropped when the request closed at %s: never answered", q, f.firstAfter(ask.At, sop.KindClosed).At.Format(time.RFC3339)))
		default:
			open = append(open, q+" waiting for HQ")
		}
	}
	switch {
	case len(broken) > 0:
		return Breached, strings.Join(broken, "; ")
	case len(open) > 0:
		return NotApplicable, strings.Join(append(open, ok...), "; ")
	}
	return Met, strings.Join(ok, "; ")
}

// judgeCompensation: R7.3, nothing promised on site; every claim decided
// by the centre within sop.manager_after.
func judgeCompensation(f *facts) (string, string) {
	asks := f.events(sop.EvCompensationRequested)
	if len(asks) == 0 {
		return NotApplicable, "no compensation asked for"
	}
	decs := f.events(sop.EvCompensationDecision)
	limit := f.p.ManagerAfter.Std()
	var ok, broken []string
	for i, a := range asks {
		q := fmt.Sprintf("claim %d (%s)", i+1, a.At.Format(time.RFC3339))
		if i >= len(decs) {
			if esc := f.firstAfter(a.At, sop.KindEscalated, sop.R7_3); esc != nil {
				broken = append(broken, fmt.Sprintf("%s not decided by the centre within %s: escalated to the manager", q, span(limit)))
			} else {
				return NotApplicable, q + ": the centre's decision is pending"
			}
			continue
		}
		d := decs[i]
		took := d.At.Sub(a.At)
		switch {
		case d.Event.Actor.Role != sop.RoleCallCentre:
			broken = append(broken, fmt.Sprintf("%s decided by %s, not the centre", q, d.Event.Actor))
		case limit > 0 && took > limit+slack:
			broken = append(broken, fmt.Sprintf("%s decided by the centre %s later, over the %s limit", q, span(took), span(limit)))
		default:
			ok = append(ok, fmt.Sprintf("%s %s by the centre %s later", q, yes(sop.Bool(d.Event.Approved, false), "approved", "refused"), span(took)))
		}
	}
	if len(broken) > 0 {
		return Breached, strings.Join(broken, "; ")
	}
	return Met, "nothing promised on site; " + strings.Join(ok, "; ")
}

func yes(b bool, y, n string) string {
	if b {
		return y
	}
	return n
}

// judgeCalledAway: R7.4, every reassignment for an urgent job leaves the
// customer told: a new appointment confirmed or the engineer's leaving
// explained.
func judgeCalledAway(f *facts) (string, string) {
	var ok, broken []string
	for i, s := range f.steps {
		if s.Event == nil || s.Event.Type != sop.EvReassign {
			continue
		}
		told := time.Time{}
		for _, later := range f.steps[i:] {
			for _, n := range later.Notifications {
				if n.To == sop.ToCustomer && told.IsZero() {
					told = later.At
				}
			}
		}
		q := fmt.Sprintf("reassignment at %s (from %s)", s.At.Format(time.RFC3339), s.Projection.Status)
		if told.IsZero() {
			broken = append(broken, q+": neither reassigned nor rebooked with the customer told")
			continue
		}
		ok = append(ok, fmt.Sprintf("%s: customer told %s later", q, span(told.Sub(s.At))))
	}
	switch {
	case len(broken) > 0:
		return Breached, strings.Join(broken, "; ")
	case len(ok) > 0:
		return Met, strings.Join(ok, "; ")
	}
	return NotApplicable, "no urgent job took the engineer away"
}

// judgeIncident: R7.5, the centre and the manager told at once, and the
// centre takes charge within sop.manager_after.
func judgeIncident(f *facts) (string, string) {
	incs := f.events(sop.EvIncident)
	if len(incs) == 0 {
		return NotApplicable, "no incident"
	}
	handled := f.events(sop.EvIncidentHandled)
	limit := f.p.ManagerAfter.Std()
	var ok, broken []string
	for i, s := range incs {
		q := fmt.Sprintf("incident %d (%s)", i+1, s.At.Format(time.RFC3339))
		centre, manager := false, false
		for _, n := range s.Notifications {
			centre = centre || (n.To == sop.ToCentre && n.Urgent)
			manager = manager || (n.To == sop.ToManager && n.Urgent)
		}
		if !centre || !manager {
			broken = append(broken, q+": not reported urgently to the centre and the manager")
			continue
		}
		var e *workflows.Entry
		for _, x := range s.Entries {
			if x.Kind == sop.KindIncident {
				e = &x
			}
		}
		switch {
		case i < len(handled) && handled[i].At.Sub(s.At) <= limit+slack:
			ok = append(ok, fmt.Sprintf("%s: centre and manager told at once; the centre took charge %s later", q, span(handled[i].At.Sub(s.At))))
		case i < len(handled):
			broken = append(broken, fmt.Sprintf("%s: the centre took charge %s later, over the %s limit", q, span(handled[i].At.Sub(s.At)), span(limit)))
		case f.firstAfter(s.At, sop.KindEscalated, sop.R7_5) != nil:
			broken = append(broken, fmt.Sprintf("%s: the centre did not take charge within %s", q, span(limit)))
		case e != nil && outcome(*e) == "":
			ok = append(ok, q+": centre and manager told at once") // before incident_handled existed
		default:
			return NotApplicable, q + ": the centre has not taken charge yet"
		}
	}
	if len(broken) > 0 {
		return Breached, strings.Join(broken, "; ")
	}
	return Met, strings.Join(ok, "; ")
}

// judgeCompletion: R8.1, every completed visit has its service record,
// both ratings and the signature question.
func judgeCompletion(f *facts) (string, string) {
	done := f.events(sop.EvCompleted)
	if len(done) == 0 {
		return NotApplicable, "no visit completed yet"
	}
	var ok, broken []string
	for _, s := range done {
		ev := s.Event
		switch {
		case ev.QualityRating == nil || ev.AttitudeRating == nil || ev.SignedByCustomer == nil:
			broken = append(broken, visitName(s)+": ratings or the signature question not recorded")
		case ev.Record == nil:
			broken = append(broken, fmt.Sprintf("%s completed at %s with no service record (cause, measures, parts, fee)", visitName(s), s.At.Format(time.RFC3339)))
		default:
			ok = append(ok, fmt.Sprintf("%s: record, quality %d/5, attitude %d/5, %s", visitName(s), *ev.QualityRating, *ev.AttitudeRating,
				yes(*ev.SignedByCustomer, "signed", "not signed")))
		}
	}
	if len(broken) > 0 {
		return Breached, strings.Join(broken, "; ")
	}
	return Met, strings.Join(ok, "; ")
}

// judgeSignature: R8.2, a record the customer did not sign is recorded as
// not signed, never forced; breached when a record the customer did not sign
// says signed, or the customer says the signature on a record marked signed
// is not theirs (their own confirmation, satisfaction_confirmed).
func judgeSignature(f *facts) (string, string) {
	var ok, broken []string
	// A signature the customer says is not theirs (satisfaction_confirmed
	// with signed_by_customer false on a card marked signed).
	for _, e := range f.all(sop.KindSuspectedFalsified, sop.R8_2) {
		broken = append(broken, fmt.Sprintf("%s: the customer says the signature on the record is not theirs (%s)", tripName(e.Trip), e.At.Format(time.RFC3339)))
	}
	for _, s := range f.events(sop.EvCompleted) {
		if sop.Bool(s.Event.SignedByCustomer, true) {
			continue
		}
		marked := false
		for _, e := range s.Entries {
			marked = marked || (e.Kind == sop.KindCompleted && e.Rule == sop.R8_2)
		}
		if s.ServiceRecord != nil && s.ServiceRecord.SignedByCustomer || !marked {
			broken = append(broken, visitName(s)+": the customer did not sign, but the record does not say so")
			continue
		}
		ok = append(ok, visitName(s)+": not signed, recorded as not signed, never forced")
	}
	switch {
	case len(broken) > 0:
		return Breached, strings.Join(broken, "; ")
	case len(ok) > 0:
		return Met, strings.Join(ok, "; ")
	}
	return NotApplicable, "every record signed"
}

// judgeRevisits: R8.3, a dissatisfied customer is visited again, the
// re-visit booked within sop.revisit_booking_within, the after-sales
// manager in charge after sop.max_visits_before_manager visits.
func judgeRevisits(f *facts) (string, string) {
	revisits := f.all(sop.KindRevisit)
	if len(revisits) == 0 {
		return NotApplicable, "no dissatisfied customer"
	}
	var broken []string
	for _, e := range f.all(sop.KindEscalated, sop.R8_3) {
		broken = append(broken, fmt.Sprintf("re-visit not booked in time (escalated at %s): %s", e.At.Format(time.RFC3339), e.Detail))
	}
	visits := 0
	for _, s := range f.steps {
		visits = max(visits, s.Projection.Visits)
	}
	d := fmt.Sprintf("%d re-visit(s) planned after %d visit(s)", len(revisits), visits)
	if limit := f.p.MaxVisitsBeforeManager; limit > 0 && visits >= limit && len(revisits) >= limit {
		if f.first(sop.KindManagerVisit, sop.R8_3) == nil {
			broken = append(broken, fmt.Sprintf("%d visits without the after-sales manager (limit %d)", visits, limit))
		} else {
			d += fmt.Sprintf("; the after-sales manager took charge after %d visits", limit)
		}
	}
	if len(broken) > 0 {
		return Breached, d + "; " + strings.Join(broken, "; ")
	}
	booked := 0
	for _, r := range revisits {
		if b := f.firstAfter(r.At, sop.KindAppointmentBooked); b != nil {
			booked++
		}
	}
	return Met, d + fmt.Sprintf("; %d booked", booked)
}

// judgeWorkExplained: R12.2, every visit's work, time and fee explained
// before it started, and a charged visit only with the customer's agreement.
func judgeWorkExplained(f *facts) (string, string) {
	charged := f.first(sop.KindFeeQuoted) != nil
	var ok, broken []string
	f.eachVisit(func(s workflows.CommitInput, v *visitLog) {
		if s.Event == nil || s.Event.Type != sop.EvCompleted {
			return
		}
		fee := charged || (s.Event.Record != nil && s.Event.Record.Charge > 0)
		var agreed *workflows.Entry
		for _, e := range v.kinds[sop.KindWorkExplained] {
			if outcome(e) == sop.OutAccepted {
				agreed = &e
			}
		}
		switch {
		case agreed == nil && fee:
			broken = append(broken, fmt.Sprintf("%s charged without the customer's recorded agreement to the work and fee", visitName(s)))
		case agreed == nil:
			broken = append(broken, fmt.Sprintf("%s: work, time and cost not explained before it started", visitName(s)))
		default:
			ok = append(ok, fmt.Sprintf("%s: explained and agreed %s before completion%s", visitName(s), span(s.At.Sub(agreed.At)), yes(fee, " (charged)", "")))
		}
	})
	for _, e := range f.all(sop.KindWorkExplained) {
		if outcome(e) == sop.OutRefused {
			ok = append(ok, fmt.Sprintf("customer did not agree at %s: no work done", e.At.Format(time.RFC3339)))
		}
	}
	switch {
	case len(broken) > 0:
		return Breached, strings.Join(broken, "; ")
	case len(ok) > 0:
		return Met, strings.Join(ok, "; ")
	}
	return NotApplicable, "no work done in the home"
}

// judgeRepairRefused: R12.3, a customer who refuses the repair is asked why
// and persuaded, or the request continues in the returns procedure — never
// a dead end (cancelled or closed without it).
func judgeRepairRefused(f *facts) (string, string) {
	var ok, broken []string
	refusals := f.all(sop.KindRepairRefused)
	for _, e := range f.all(sop.KindWorkExplained) {
		if outcome(e) == sop.OutRefused {
			refusals = append(refusals, e)
		}
	}
	for _, r := range refusals {
		q := fmt.Sprintf("repair refused at %s", r.At.Format(time.RFC3339))
		if r.Kind == sop.KindRepairRefused && outcome(r) == sop.OutAccepted {
			ok = append(ok, q+": asked why, persuaded")
			continue
		}
		ret := f.firstAfter(r.At, sop.KindReturnDecided)
		end := f.firstAfter(r.At, sop.KindCancelled)
		if end == nil {
			end = f.firstAfter(r.At, sop.KindClosed)
		}
		next := f.firstAfter(r.At.Add(time.Nanosecond), sop.KindAppointmentBooked)
		switch {
		case ret != nil && (end == nil || !end.At.Before(ret.At)):
			ok = append(ok, fmt.Sprintf("%s: not persuaded; continued in the returns procedure (%s)", q, ret.Detail))
		case next != nil && (end == nil || next.At.Before(end.At)):
			ok = append(ok, q+": the customer agreed to another visit")
		case end != nil:
			broken = append(broken, fmt.Sprintf("%s: the request ended at %s (%s) without the returns procedure", q, end.At.Format(time.RFC3339), end.Kind))
		default:
			return NotApplicable, q + ": the next step is pending"
		}
	}
	switch {
	case len(broken) > 0:
		return Breached, strings.Join(broken, "; ")
	case len(ok) > 0:
		return Met, strings.Join(ok, "; ")
	}
	return NotApplicable, "the customer never refused the repair"
}

// judgePauses: R12.4, every pause has a reason and a time to resume and is
// resumed within sop.pause_max; a longer one went back to booking.
func judgePauses(f *facts) (string, string) {
	pauses := f.events(sop.EvPaused)
	if len(pauses) == 0 {
		return NotApplicable, "the work never paused"
	}
	limit := f.p.PauseMax.Std()
	var ok, broken []string
	for i, p := range pauses {
		q := fmt.Sprintf("pause %d (%s, %s)", i+1, p.Event.Reason, p.At.Format(time.RFC3339))
		var res *workflows.CommitInput
		for _, r := range f.events(sop.EvResumed) {
			if r.At.After(p.At) && (i+1 == len(pauses) || !r.At.After(pauses[i+1].At)) {
				res = &r
				break
			}
		}
		var over *workflows.Entry
		for _, e := range f.all(sop.KindPaused, sop.R12_4) {
			if outcome(e) == sop.OutMissed && e.At.After(p.At) && (i+1 == len(pauses) || !e.At.After(pauses[i+1].At)) {
				over = &e
				break
			}
		}
		switch {
		case res != nil:
			ok = append(ok, fmt.Sprintf("%s resumed after %s (limit %s)", q, span(res.At.Sub(p.At)), span(limit)))
		case over != nil:
			broken = append(broken, fmt.Sprintf("%s not resumed within %s: back to booking with the centre told", q, span(limit)))
		default:
			return NotApplicable, q + ": paused now"
		}
	}
	if len(broken) > 0 {
		return Breached, strings.Join(broken, "; ")
	}
	return Met, strings.Join(ok, "; ")
}
