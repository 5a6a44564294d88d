package workflows

import (
	"strings"

	"github.com/housecall/housecall/sop"
)

// checklist records the engineer's confirmation of the conduct checklist of
// rule (sop.Checklists) given with the step's event: confirmed item by item,
// or which items were not (the auditor's breach). Requests begun before
// rulesComplete record none.
func (s *State) checklist(st *step, rule sop.Rule) {
	if s.Rules < rulesComplete {
		return
	}
	c, ok := sop.ChecklistOf(rule)
	if !ok {
		return
	}
	var confirmed []string
	if st.event != nil {
		confirmed = st.event.Checklist
	}
	missing := c.Missing(confirmed)
	if len(missing) == 0 {
		e := st.add(sop.KindChecklist, rule, "%s: confirmed item by item (%d of %d)", c.When, len(c.Items), len(c.Items))
		e.Outcome = sop.OutConfirmed
		return
	}
	var what []string
	for _, it := range c.Items {
		for _, m := range missing {
			if it.ID == m {
				what = append(what, it.Text)
			}
		}
	}
	e := st.add(sop.KindChecklist, rule, "%s: %d of %d confirmed; not confirmed: %s", c.When, len(c.Items)-len(missing), len(c.Items), strings.Join(what, "; "))
	e.Outcome = sop.OutIncomplete
	e.Missing = missing
}
