package audit

import (
	"fmt"
	"strings"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

func init() {
	register(sop.R6_2, present(sop.KindKnocked, "bell, then two rounds of three knocks", "no knock recorded"))
	register(sop.R6_3, judgeDoor)
	register(sop.R6_4, judgeArrival)
	register(sop.R6_5, judgeLateness)
	register(sop.R6_6, recorded(sop.KindEntryRefused, sop.R6_6, "entry refused (not home / helper): handled as the SOP says"))
	register(sop.R6_7, judgeDoubts)
	register(sop.R6_8, recorded(sop.KindEntryRefused, sop.R6_8, "entry not possible (product elsewhere, power cut, going out, eating): rebooked or waited with consent"))
}

func judgeDoor(f *facts) (string, string) {
	knocks := f.all(sop.KindKnocked, sop.R6_2)
	var first *workflows.Entry
	for _, k := range knocks {
		if strings.Contains(k.Detail, "no answer") {
			first = &k
			break
		}
	}
	if first == nil {
		return NotApplicable, "the door was answered at the first knock, or no knock yet"
	}
	prompts := len(f.all(sop.KindKnockPrompt))
	call := f.firstAfter(first.At, sop.KindCallCustomer)
	open := f.firstAfter(first.At, sop.KindDoorAnswered)
	note := f.firstAfter(first.At, sop.KindNoteLeft)
	want := int(f.p.CallAfter / f.p.KnockInterval)
	switch {
	case call != nil && !near(call.At.Sub(first.At), f.p.CallAfter.Std()):
		return Breached, fmt.Sprintf("customer phoned %s after the first knock (policy %s)", span(call.At.Sub(first.At)), span(f.p.CallAfter.Std()))
	case call != nil && prompts < want:
		return Breached, fmt.Sprintf("%d knock prompts before the call, want %d", prompts, want)
	case note != nil:
		told := f.firstAfter(note.At, sop.KindCentreNotified)
		if told == nil {
			return Breached, "note left but the centre was not told"
		}
		return Met, fmt.Sprintf("%d knock prompts every %s, customer phoned %s after the first knock, note left, centre told", prompts, span(f.p.KnockInterval.Std()), span(call.At.Sub(first.At)))
	case open != nil && (call == nil || open.At.Before(call.At)):
		return Met, fmt.Sprintf("door answered %s after the first knock, %d knock prompt(s)", span(open.At.Sub(first.At)), prompts)
	case open != nil:
		return Met, fmt.Sprintf("%d knock prompts, customer phoned after %s, door answered %s after the first knock", prompts, span(call.At.Sub(first.At)), span(open.At.Sub(first.At)))
	}
	return NotApplicable, fmt.Sprintf("door protocol under way: %d knock prompt(s)", prompts)
}

func judgeArrival(f *facts) (string, string) {
	late, onTime := f.arrivals()
	switch {
	case len(late) > 0:
		return Breached, fmt.Sprintf("arrived %s after the appointment", span(late[0]))
	case len(onTime) > 0:
		return Met, fmt.Sprintf("arrived %s before the appointment", span(onTime[0]))
	}
	return NotApplicable, "no arrival yet"
}

func judgeLateness(f *facts) (string, string) {
	late, _ := f.arrivals()
	if len(late) == 0 {
		return NotApplicable, "never late"
	}
	for _, s := range f.events(sop.EvApologyAnswer) {
		if !sop.Bool(s.Event.Accepted, true) && f.firstAfter(s.At, sop.KindManagerVisit, sop.R6_5) == nil {
			return Breached, "apology refused and no visit of the after-sales manager"
		}
	}
	if late[0] >= f.p.LateMajor.Std() {
		return Met, fmt.Sprintf("late %s (%s or more): sincere apology and gift; manager visit when refused", span(late[0]), span(f.p.LateMajor.Std()))
	}
	return Met, fmt.Sprintf("late %s (under %s): apologised, rebooking offered", span(late[0]), span(f.p.LateMajor.Std()))
}

func judgeDoubts(f *facts) (string, string) {
	refused := f.all(sop.KindEntryRefused, sop.R6_7)
	if len(refused) == 0 {
		return NotApplicable, "the customer did not doubt the engineer"
	}
	if f.firstAfter(refused[0].At, sop.KindManagerVisit, sop.R6_7) == nil {
		return Breached, "entry refused for doubts, but no visit of the after-sales manager"
	}
	return Met, "ID and supervision number shown; rebooked, the after-sales manager visits in person"
}
