package audit

import (
	"fmt"
	"strings"

	"github.com/housecall/housecall/sop"
)

// The conduct rules only the engineer can keep are judged from the
// checklists the engineer confirmed with their events (sop.Checklists):
// met when every item was confirmed, breached where one was not, per trip.
func init() {
	for _, c := range sop.Checklists {
		if c.Rule == sop.R12_9 {
			continue // judged with the suggestions it asks for: judge_suggestions.go
		}
		register(c.Rule, judgeChecklist(c))
	}
}

// judgeChecklist: a conduct rule only the engineer can keep is met when the
// engineer confirmed every item of its checklist with the event it belongs
// to, breached on the trip where an item was not confirmed (the items
// named); not applicable before the event, and for requests begun before
// checklists.
func judgeChecklist(c sop.Checklist) judge {
	return func(f *facts) (string, string) {
		es := f.all(sop.KindChecklist, c.Rule)
		if len(es) == 0 {
			return NotApplicable, fmt.Sprintf("no checklist confirmed %s (not reached, or the request began before checklists)", c.When)
		}
		var broken []string
		for _, e := range es {
			if outcome(e) != sop.OutConfirmed {
				broken = append(broken, fmt.Sprintf("%s not confirmed: %s", tripName(e.Trip), strings.Join(e.Missing, ", ")))
			}
		}
		if len(broken) > 0 {
			return Breached, strings.Join(broken, "; ")
		}
		return Met, fmt.Sprintf("confirmed item by item %s, %d time(s)", c.When, len(es))
	}
}

func tripName(n int) string {
	if n == 0 {
		return "visit"
	}
	return fmt.Sprintf("trip %d", n)
}
