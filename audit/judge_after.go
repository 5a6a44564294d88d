package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

func init() {
	register(sop.R9_1, judgeUncertainFix)
	register(sop.R10_1, judgeCardReturn)
	register(sop.R10_2, judgeReconciliation)
	register(sop.R11_1, judgeComplaints)
	register(sop.R11_2, judgeRecord)
}

// callbackWithin is how long after a call-back falls due it may be made
// (sop.callback_within; 1 h for requests whose policy predates the key).
func (f *facts) callbackWithin() time.Duration {
	if f.p.CallbackWithin > 0 {
		return f.p.CallbackWithin.Std()
	}
	return time.Hour
}

// worse combines verdicts: breached over not applicable (pending) over met.
func worse(a, b string) string {
	rank := map[string]int{Met: 0, NotApplicable: 1, Breached: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// callback is the story of one call-back (R2.2, R9.1): planned at from to
// fall due wait later, then made within sop.callback_within, else
// escalated.
type callback struct {
	from   time.Time
	wait   time.Duration
	due    *workflows.Entry // followup_due (outcome due)
	result *workflows.Entry // followup_result
	missed *workflows.Entry // escalated (outcome missed, or any escalation of the rule after due)
}

func (f *facts) callback(rule sop.Rule, from time.Time, wait time.Duration) callback {
	cb := callback{from: from, wait: wait}
	for _, e := range f.all(sop.KindFollowupDue, rule) {
		if !e.At.Before(from) && outcome(e) == sop.OutDue {
			cb.due = &e
			break
		}
	}
	if cb.due == nil {
		return cb
	}
	cb.result = f.firstAfter(cb.due.At, sop.KindFollowupResult, rule)
	if esc := f.firstAfter(cb.due.At, sop.KindEscalated, rule); esc != nil && (cb.result == nil || !esc.At.After(cb.result.At)) {
		cb.missed = esc
	}
	return cb
}

// verdict judges the call-back: whether it fell due after exactly wait,
// and was made within sop.callback_within; made says only whether it was
// made at all (R9.2) when late is false.
func (f *facts) verdict(cb callback, what string, strictTime bool) (string, string) {
	within := f.callbackWithin()
	if cb.due == nil {
		return NotApplicable, fmt.Sprintf("%s due at %s, not yet", what, f.local(cb.from.Add(cb.wait)))
	}
	after := cb.due.At.Sub(cb.from)
	if !near(after, cb.wait) {
		return Breached, fmt.Sprintf("%s fell due %s after the %s (policy %s)", what, span(after), fromWhat(what), span(cb.wait))
	}
	switch {
	case cb.result == nil && cb.missed != nil:
		return Breached, fmt.Sprintf("%s fell due %s after the %s but was not made within %s: escalated at %s", what, span(after), fromWhat(what), span(within), f.local(cb.missed.At))
	case cb.result == nil:
		return NotApplicable, fmt.Sprintf("%s %s after the %s fell due at %s; not made yet (within %s)", what, span(after), fromWhat(what), f.local(cb.due.At), span(within))
	}
	took := cb.result.At.Sub(cb.due.At)
	if strictTime && took > within {
		return Breached, fmt.Sprintf("%s %s after the %s fell due, but its result came %s later (limit %s)", what, span(after), fromWhat(what), span(took), span(within))
	}
	return Met, fmt.Sprintf("%s %s after %s, made %s after it fell due (limit %s): %s", what, span(after), fromWhat(what), span(took), span(within), resultWord(cb.result))
}

func fromWhat(what string) string {
	if strings.HasPrefix(what, "follow-up") {
		return "visit"
	}
	return "consultation"
}

func resultWord(e *workflows.Entry) string {
	switch outcome(*e) {
	case sop.OutResolved:
		return "resolved, customer satisfied"
	case sop.OutUnresolved:
		return "not resolved: on-site visit"
	}
	return "result recorded"
}

// local writes a time in the service area's zone.
func (f *facts) local(t time.Time) string {
	return t.In(f.p.Location()).Format("2006-01-02 15:04:05")
}

// judgeUncertainFix: every follow-up planned after an uncertain fix falls
// due exactly sop.uncertain_fix_followup later and is made within
// sop.callback_within (R9.1).
func judgeUncertainFix(f *facts) (string, string) {
	var plans []workflows.Entry
	for _, k := range []sop.Kind{sop.KindFollowupPlanned, sop.KindFollowupDue} {
		for _, e := range f.all(k, sop.R9_1) {
			if outcome(e) == sop.OutPlanned {
				plans = append(plans, e)
			}
		}
	}
	if len(plans) == 0 {
		return NotApplicable, "every fix was certain"
	}
	status, details := Met, []string{}
	for _, p := range plans {
		s, d := f.verdict(f.callback(sop.R9_1, p.At, f.p.UncertainFixFollowup.Std()), "follow-up call", true)
		status = worse(status, s)
		details = append(details, d)
	}
	return status, strings.Join(details, "; ")
}

// judgeCardReturn: the card of every completed visit is back by the end of
// the visit's day in the service area (R10.1). Cards are returned in the
// order of their visits (the workflow takes the oldest outstanding card).
func judgeCardReturn(f *facts) (string, string) {
	done := f.events(sop.EvCompleted)
	if len(done) == 0 {
		return NotApplicable, "no service card"
	}
	returns := f.events(sop.EvCardReturned)
	overdue := f.all(sop.KindCardOverdue)
	loc := f.p.Location()
	status, details := Met, []string{}
	for i, c := range done {
		due := sop.CardDue(c.At, loc)
		what := fmt.Sprintf("card of the visit completed %s, due by %s", f.local(c.At), f.local(due))
		switch {
		case i < len(returns) && !returns[i].At.After(due):
			details = append(details, fmt.Sprintf("%s: returned %s", what, f.local(returns[i].At)))
		case i < len(returns):
			status = worse(status, Breached)
			details = append(details, fmt.Sprintf("%s: returned late, %s", what, f.local(returns[i].At)))
		case i < len(overdue):
			status = worse(status, Breached)
			details = append(details, fmt.Sprintf("%s: not returned that day (centre told %s)", what, f.local(overdue[i].At)))
		default:
			status = worse(status, NotApplicable)
			details = append(details, what+": not returned yet")
		}
	}
	return status, strings.Join(details, "; ")
}

// judgeReconciliation: the daily reconciliation looked at every card and
// found none whose "satisfied" the customer did not give (R10.2); a card
// the customer did not sign waits for the customer's confirmation.
func judgeReconciliation(f *facts) (string, string) {
	if flags := f.all(sop.KindSuspectedFalsified); len(flags) > 0 {
		d := "suspected falsification: " + flags[0].Detail
		if len(flags) > 1 {
			d += fmt.Sprintf(" (+%d more)", len(flags)-1)
		}
		if esc := f.firstAfter(flags[0].At, sop.KindEscalated, sop.R10_2); esc != nil {
			d += "; " + esc.Detail
		}
		return Breached, d
	}
	if esc := f.first(sop.KindEscalated, sop.R10_2); esc != nil {
		return Breached, esc.Detail
	}
	rec := f.all(sop.KindReconciled)
	asked := 0
	for _, e := range rec {
		if outcome(e) == sop.OutUnconfirmed {
			asked++
		}
	}
	confirmed := f.all(sop.KindSatisfactionConfirmed)
	switch {
	case asked > len(confirmed):
		return NotApplicable, fmt.Sprintf("%d unsigned card(s) waiting for the customer's confirmation", asked-len(confirmed))
	case len(rec) > 0:
		d := fmt.Sprintf("%d card(s) reconciled with the customer's confirmation", len(rec)-asked)
		if asked > 0 {
			d += fmt.Sprintf("; %d unsigned card(s) confirmed by the customer", asked)
		}
		return Met, d
	}
	if len(f.events(sop.EvCompleted)) == 0 {
		return NotApplicable, "no service card to reconcile"
	}
	return NotApplicable, "awaiting the daily reconciliation"
}

// judgeComplaints: every complaint is answered within
// sop.complaint_response (R11.1); complaints are answered in turn.
func judgeComplaints(f *facts) (string, string) {
	cs := f.events(sop.EvComplaint)
	if len(cs) == 0 {
		return NotApplicable, "no complaint"
	}
	answers := f.events(sop.EvComplaintAnswered)
	limit := f.p.ComplaintResponse.Std()
	status, details := Met, []string{}
	for i, c := range cs {
		switch {
		case i < len(answers) && answers[i].At.Sub(c.At) <= limit:
			details = append(details, fmt.Sprintf("complaint #%d answered %s after it was made (limit %s)", i+1, span(answers[i].At.Sub(c.At)), span(limit)))
		case i < len(answers):
			status = worse(status, Breached)
			details = append(details, fmt.Sprintf("complaint #%d answered %s after it was made, over the %s limit", i+1, span(answers[i].At.Sub(c.At)), span(limit)))
		case f.firstAfter(c.At, sop.KindComplaintOverdue) != nil:
			status = worse(status, Breached)
			details = append(details, fmt.Sprintf("complaint #%d not answered within %s: escalated to the after-sales manager", i+1, span(limit)))
		default:
			status = worse(status, NotApplicable)
			details = append(details, fmt.Sprintf("complaint #%d open, due by %s", i+1, f.local(c.At.Add(limit))))
		}
	}
	return status, strings.Join(details, "; ")
}

// judgeRecord: the history holds the full, ordered record of every step
// (R11.2). The record is broken when the steps' numbers have a gap or go
// backwards (a step lost or replayed), when a step or an entry is earlier
// than the one before it, when an entry is not at its step's time, or when
// an entry has no kind or, being more than the request's own closing or
// cancellation, no rule.
func judgeRecord(f *facts) (string, string) {
	if len(f.steps) == 0 {
		return Breached, "no step recorded"
	}
	var prev *workflows.CommitInput
	for i := range f.steps {
		s := &f.steps[i]
		if prev != nil {
			if prev.Seq != 0 && s.Seq != prev.Seq+1 {
				return Breached, fmt.Sprintf("step %d follows step %d: the record has a gap or goes backwards", s.Seq, prev.Seq)
			}
			if s.At.Before(prev.At) {
				return Breached, fmt.Sprintf("step %d at %s is earlier than step %d at %s", s.Seq, f.local(s.At), prev.Seq, f.local(prev.At))
			}
		}
		for _, e := range s.Entries {
			switch {
			case e.Kind == "":
				return Breached, fmt.Sprintf("step %d has an entry without a kind", s.Seq)
			case !e.At.Equal(s.At):
				return Breached, fmt.Sprintf("step %d (%s) has an entry %s at %s", s.Seq, f.local(s.At), e.Kind, f.local(e.At))
			case e.Rule == "" && e.Kind != sop.KindCancelled && e.Kind != sop.KindClosed:
				return Breached, fmt.Sprintf("step %d: entry %s names no rule", s.Seq, e.Kind)
			}
		}
		prev = s
	}
	first, last := f.steps[0].Seq, f.steps[len(f.steps)-1].Seq
	return Met, fmt.Sprintf("%d timeline entries rebuilt from %d history events of %d run(s); steps %d–%d in order, none missing", len(f.entries), f.nevents, f.runs, first, last)
}
