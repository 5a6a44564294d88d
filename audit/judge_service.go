package audit

import (
	"fmt"

	"github.com/housecall/housecall/sop"
)

func init() {
	register(sop.R7_1, present(sop.KindDiagnosed, "", "no diagnosis"))
	register(sop.R7_2, judgeHQ(sop.R7_2))
	register(sop.R7_3, judgeCompensation)
	register(sop.R7_4, recorded(sop.KindReassigned, sop.R7_4, "the centre reassigned the job"))
	register(sop.R7_5, judgeIncident)
	register(sop.R8_1, judgeCompletion)
	register(sop.R8_2, judgeSignature)
	register(sop.R8_3, judgeRevisits)
}

func judgeCompensation(f *facts) (string, string) {
	asks := f.events(sop.EvCompensationRequested)
	if len(asks) == 0 {
		return NotApplicable, "no compensation asked for"
	}
	decs := f.events(sop.EvCompensationDecision)
	if len(decs) < len(asks) {
		return NotApplicable, "the centre's decision is pending"
	}
	for _, d := range decs {
		if d.Event.Actor.Role != sop.RoleCallCentre {
			return Breached, "compensation decided by " + d.Event.Actor.String()
		}
	}
	return Met, fmt.Sprintf("nothing promised on site; the centre decided %d claim(s)", len(decs))
}

func judgeIncident(f *facts) (string, string) {
	inc := f.all(sop.KindIncident)
	if len(inc) == 0 {
		return NotApplicable, "no incident"
	}
	return Met, fmt.Sprintf("%d incident(s) reported to the centre at once", len(inc))
}

func judgeCompletion(f *facts) (string, string) {
	done := f.events(sop.EvCompleted)
	if len(done) == 0 {
		return NotApplicable, "no visit completed yet"
	}
	return Met, fmt.Sprintf("%d visit(s) recorded with both ratings and the signature question", len(done))
}

func judgeSignature(f *facts) (string, string) {
	n := 0
	for _, s := range f.events(sop.EvCompleted) {
		if !sop.Bool(s.Event.SignedByCustomer, true) {
			n++
		}
	}
	if n == 0 {
		return NotApplicable, "every record signed"
	}
	return Met, fmt.Sprintf("%d record(s) not signed: recorded as not signed, never forced", n)
}

func judgeRevisits(f *facts) (string, string) {
	unsatisfied := 0
	for _, s := range f.events(sop.EvCompleted) {
		if !sop.Bool(s.Event.Satisfied, true) {
			unsatisfied++
		}
	}
	if unsatisfied == 0 {
		return NotApplicable, "satisfied at the first visit"
	}
	visits := 0
	for _, s := range f.steps {
		visits = max(visits, s.Projection.Visits)
	}
	d := fmt.Sprintf("%d dissatisfied visit(s) followed by another visit", unsatisfied)
	if limit := f.p.MaxVisitsBeforeManager; visits >= limit && unsatisfied >= limit {
		if f.first(sop.KindManagerVisit, sop.R8_3) == nil {
			return Breached, d + fmt.Sprintf("; %d visits without the after-sales manager", visits)
		}
		d += "; the after-sales manager took charge"
	}
	return Met, d
}
