package audit

import (
	"fmt"
	"strings"

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
	register(sop.R3_1, judgeFreeRepair)
	register(sop.R3_2, judgeFee)
	register(sop.R3_3, judgeReturn)
	register(sop.R12_6, judgeInstallationDamage)
	register(sop.R12_7, judgeRemoteGuidance)
	register(sop.R12_8, judgeCustomMade)
	register(sop.R9_2, judgeEveryConsultation)
}

// judgeVerification (R1.2): data sent to verification at intake is verified
// within sop.verify_timeout; breached when it was verified later, or not at
// all and escalated to the centre.
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

// judgeConsultation: every accepted phone consultation's call-back falls
// due exactly sop.consultation_followup later and is made within
// sop.callback_within (R2.2).
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
		st, d := f.verdict(f.callback(sop.R2_2, s.At, f.p.ConsultationFollowup.Std()), "call-back", true)
		status = worse(status, st)
		details = append(details, d)
	}
	return status, strings.Join(details, "; ")
}

// judgeEveryConsultation: every phone consultation gets its call-back,
// exactly sop.consultation_followup later (R9.2); one never made (escalated
// instead) breaks it, one made late is R2.2's breach.
func judgeEveryConsultation(f *facts) (string, string) {
	accepted, made := 0, 0
	status, details := Met, []string{}
	for _, s := range f.events(sop.EvConsultationGiven) {
		if !sop.Bool(s.Event.Accepted, false) {
			continue
		}
		accepted++
		st, d := f.verdict(f.callback(sop.R2_2, s.At, f.p.ConsultationFollowup.Std()), "call-back", false)
		if st == Met {
			made++
		} else {
			details = append(details, d)
		}
		status = worse(status, st)
	}
	if accepted == 0 {
		return NotApplicable, "no consultation given"
	}
	return status, strings.Join(append([]string{fmt.Sprintf("%d consultation(s), %d call-back(s) made", accepted, made)}, details...), "; ")
}

// judgeHQ (R2.4, R7.2): a question to HQ's technical department is answered
// within sop.hq_answer_within; breached when it was answered later, or not
// at all and escalated to the after-sales manager.
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
