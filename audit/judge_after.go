package audit

import (
	"fmt"
	"strings"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

func init() {
	register(sop.R9_1, judgeUncertainFix)
	register(sop.R10_1, judgeCardReturn)
	register(sop.R10_2, judgeReconciliation)
	register(sop.R11_1, judgeComplaints)
	register(sop.R11_2, func(f *facts) (string, string) {
		return Met, fmt.Sprintf("%d timeline entries rebuilt from %d history events of %d run(s)", len(f.entries), f.nevents, f.runs)
	})
}

func judgeUncertainFix(f *facts) (string, string) {
	var planned []workflows.Entry
	for _, e := range f.all(sop.KindFollowupDue, sop.R9_1) {
		if strings.HasPrefix(e.Detail, "fix not certain") {
			planned = append(planned, e)
		}
	}
	if len(planned) == 0 {
		return NotApplicable, "every fix was certain"
	}
	p := planned[0]
	var due *workflows.Entry
	for _, e := range f.all(sop.KindFollowupDue, sop.R9_1) {
		if e.At.After(p.At) && strings.HasPrefix(e.Detail, "follow-up call due now") {
			due = &e
			break
		}
	}
	if due == nil {
		return NotApplicable, p.Detail
	}
	if !near(due.At.Sub(p.At), f.p.UncertainFixFollowup.Std()) {
		return Breached, fmt.Sprintf("follow-up fell due %s after the visit (policy %s)", span(due.At.Sub(p.At)), span(f.p.UncertainFixFollowup.Std()))
	}
	res := f.firstAfter(due.At, sop.KindFollowupResult, sop.R9_1)
	if res == nil {
		return NotApplicable, fmt.Sprintf("follow-up due %s after the visit; call not recorded yet", span(due.At.Sub(p.At)))
	}
	return Met, fmt.Sprintf("follow-up call %s after an uncertain fix: %s", span(res.At.Sub(p.At)), strings.TrimPrefix(res.Detail, "follow-up call: "))
}

func judgeCardReturn(f *facts) (string, string) {
	cards := len(f.events(sop.EvCompleted))
	if cards == 0 {
		return NotApplicable, "no service card"
	}
	overdue := f.all(sop.KindCardOverdue)
	if len(overdue) > 0 {
		return Breached, fmt.Sprintf("%d of %d card(s) not returned on the day of the visit", len(overdue), cards)
	}
	returned := f.all(sop.KindCardReturned)
	if len(returned) < cards {
		return NotApplicable, fmt.Sprintf("%d of %d card(s) returned so far", len(returned), cards)
	}
	return Met, fmt.Sprintf("%d card(s) returned on the day of the visit", cards)
}

func judgeReconciliation(f *facts) (string, string) {
	if flags := f.all(sop.KindSuspectedFalsified); len(flags) > 0 {
		d := "suspected falsification: " + flags[0].Detail
		if len(flags) > 1 {
			d += fmt.Sprintf(" (+%d more)", len(flags)-1)
		}
		return Breached, d
	}
	if esc := f.first(sop.KindEscalated, sop.R10_2); esc != nil {
		return Breached, esc.Detail
	}
	if rec := f.all(sop.KindReconciled); len(rec) > 0 {
		return Met, fmt.Sprintf("%d card(s) reconciled with the customer's confirmation", len(rec))
	}
	if len(f.events(sop.EvCompleted)) == 0 {
		return NotApplicable, "no service card to reconcile"
	}
	return NotApplicable, "awaiting the daily reconciliation"
}

func judgeComplaints(f *facts) (string, string) {
	cs := f.all(sop.KindComplaint, sop.R11_1)
	if len(cs) == 0 {
		return NotApplicable, "no complaint"
	}
	answered := f.all(sop.KindComplaintAnswered)
	overdue := f.all(sop.KindComplaintOverdue)
	var d []string
	status := Met
	for _, a := range answered {
		d = append(d, strings.SplitN(a.Detail, ":", 2)[0])
	}
	if len(overdue) > 0 {
		status = Breached
		d = append(d, fmt.Sprintf("%d not answered within %s: escalated to the after-sales manager", len(overdue), span(f.p.ComplaintResponse.Std())))
	}
	if len(answered) < len(cs) && status == Met {
		status = NotApplicable
		d = append(d, fmt.Sprintf("%d complaint(s) open", len(cs)-len(answered)))
	}
	return status, strings.Join(d, "; ")
}
