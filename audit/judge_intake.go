package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
)

func init() {
	register(sop.R1_1, judgeIntake)
	register(sop.R1_2, judgeVerification)
	register(sop.R1_3, judgeOneWorkflow)
	register(sop.R2_1, judgeTriage)
	register(sop.R2_2, judgeConsultation)
	register(sop.R2_3, judgeParts)
	register(sop.R2_4, judgeHQ(sop.R2_4))
	register(sop.R2_5, present(sop.KindWorkshop, "workshop repair with a loaner unit planned", "no workshop repair"))
	register(sop.R3_1, judgeFreeRepair)
	register(sop.R3_2, judgeFee)
	register(sop.R3_3, judgeReturn)
	register(sop.R12_6, judgeInstallationDamage)
	register(sop.R12_7, judgeRemoteGuidance)
	register(sop.R12_8, judgeCustomMade)
	register(sop.R9_2, judgeEveryConsultation)
}

func judgeVerification(f *facts) (string, string) {
	need := f.first(sop.KindVerificationNeeded)
	if need == nil {
		return NotApplicable, "data complete at intake"
	}
	ver := f.first(sop.KindVerified, sop.R1_2)
	esc := f.first(sop.KindEscalated, sop.R1_2)
	limit := f.p.VerifyTimeout.Std()
	switch {
	case ver != nil && ver.At.Sub(need.At) <= limit:
		return Met, fmt.Sprintf("verified %s after intake (limit %s)", span(ver.At.Sub(need.At)), span(limit))
	case ver != nil:
		msg := fmt.Sprintf("verified %s after intake, over the %s limit", span(ver.At.Sub(need.At)), span(limit))
		if esc != nil {
			msg += fmt.Sprintf("; escalated to the centre %s after intake", span(esc.At.Sub(need.At)))
		}
		return Breached, msg
	case esc != nil:
		return Breached, fmt.Sprintf("not verified within %s; escalated to the centre %s after intake", span(limit), span(esc.At.Sub(need.At)))
	}
	return NotApplicable, "verification pending"
}

// consultations pairs every accepted consultation with its call-back.
func judgeConsultation(f *facts) (string, string) {
	evs := f.events(sop.EvConsultationGiven)
	if len(evs) == 0 {
		return NotApplicable, "no phone consultation"
	}
	var details []string
	status := Met
	for _, s := range evs {
		if !sop.Bool(s.Event.Accepted, false) {
			details = append(details, "consultation not accepted: on-site visit planned")
			continue
		}
		due := f.firstAfter(s.At, sop.KindFollowupDue, sop.R2_2)
		if due == nil {
			if status == Met {
				status = NotApplicable
			}
			details = append(details, fmt.Sprintf("call-back due at %s, not yet", s.At.Add(f.p.ConsultationFollowup.Std()).Format(time.RFC3339)))
			continue
		}
		after := due.At.Sub(s.At)
		if !near(after, f.p.ConsultationFollowup.Std()) {
			status = Breached
			details = append(details, fmt.Sprintf("call-back fell due %s after the consultation (policy %s)", span(after), span(f.p.ConsultationFollowup.Std())))
			continue
		}
		res := f.firstAfter(due.At, sop.KindFollowupResult, sop.R2_2)
		switch {
		case res == nil:
			if status == Met {
				status = NotApplicable
			}
			details = append(details, fmt.Sprintf("call-back %s after consultation fell due; result not recorded yet", span(after)))
		case res.At.Sub(due.At) > callbackGrace:
			status = Breached
			details = append(details, fmt.Sprintf("call-back %s after consultation fell due, but its result came %s later", span(after), span(res.At.Sub(due.At))))
		default:
			details = append(details, fmt.Sprintf("call-back %s after consultation (%s)", span(after), strings.TrimPrefix(res.Detail, "call-back: ")))
		}
	}
	return status, strings.Join(details, "; ")
}

func judgeEveryConsultation(f *facts) (string, string) {
	accepted, due := 0, len(f.all(sop.KindFollowupDue, sop.R2_2))
	for _, s := range f.events(sop.EvConsultationGiven) {
		if sop.Bool(s.Event.Accepted, false) {
			accepted++
		}
	}
	switch {
	case accepted == 0:
		return NotApplicable, "no consultation given"
	case due >= accepted:
		return Met, fmt.Sprintf("%d consultation(s), each with its call-back", accepted)
	}
	return NotApplicable, fmt.Sprintf("%d consultation(s), %d call-back(s) due so far", accepted, due)
}

func judgeHQ(rule sop.Rule) judge {
	return func(f *facts) (string, string) {
		asks := f.all(sop.KindHQEscalation, rule)
		if len(asks) == 0 {
			return NotApplicable, "no question to HQ"
		}
		ask := asks[0]
		ans := f.firstAfter(ask.At, sop.KindHQAnswered, rule)
		esc := f.firstAfter(ask.At, sop.KindEscalated, rule)
		limit := f.p.HQAnswerWithin.Std()
		switch {
		case ans != nil && ans.At.Sub(ask.At) <= limit:
			return Met, fmt.Sprintf("HQ answered %s after the question (limit %s)", span(ans.At.Sub(ask.At)), span(limit))
		case ans != nil:
			return Breached, fmt.Sprintf("HQ answered %s after the question, over the %s limit", span(ans.At.Sub(ask.At)), span(limit))
		case esc != nil:
			return Breached, fmt.Sprintf("no HQ answer within %s: escalated to the after-sales manager", span(limit))
		}
		return NotApplicable, "HQ's answer pending"
	}
}

func (f *facts) chargeable() bool {
	for _, s := range f.steps {
		if s.Projection.Warranty == "out" {
			return true
		}
	}
	for _, s := range f.events(sop.EvTriaged) {
		if s.Event.Category == sop.CategoryMisuse {
			return true
		}
	}
	return false
}
