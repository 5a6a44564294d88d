package audit_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
	"github.com/housecall/housecall/workflows/wftest"
)

// A ruleCase runs the real workflow (time-skipping, wftest) through a
// scenario that keeps or breaks one rule, and asserts the verdict the
// auditor's judge gives on the steps that run committed. Every rule of
// sop.AllRules has at least one case that keeps it (met) and one that
// breaks it (breached): TestEveryRuleCanBeMetAndBreached.
type ruleCase struct {
	rule sop.Rule
	want string // audit.Met or audit.Breached
	name string
	// run sets the harness up (Request, Policy, Calendar), sends the
	// events and runs the workflow (h.Run).
	run func(h *wftest.Harness)
	// check, when set, asserts more than the verdict: notifications by
	// recipient and content, refusals, the live state.
	check func(t *testing.T, h *wftest.Harness)
	// evidence, when set, must appear in the verdict's detail.
	evidence string
}

var ruleCases []ruleCase

// cases registers rule cases (from the init functions of the rules_*_test.go files).
func cases(cs ...ruleCase) { ruleCases = append(ruleCases, cs...) }

// verdictOf judges the steps the harness's run committed.
func verdictOf(h *wftest.Harness, rule sop.Rule) audit.Verdict {
	for _, v := range audit.Judge(h.Request, h.Policy, h.Commits(), 1, 0) {
		if v.Rule == rule {
			return v
		}
	}
	return audit.Verdict{Rule: rule, Status: "missing"}
}

func TestRuleCases(t *testing.T) {
	// The timeline kinds each rule's entries had, across every case: the
	// rule catalogue (sop.Catalogue, docs/rules.md) must name them.
	produced := map[sop.Rule]map[sop.Kind]string{}
	defer func() {
		for _, r := range sop.AllRules {
			info, _ := sop.Info(r)
			for _, k := range slices.Sorted(maps.Keys(produced[r])) {
				if !slices.Contains(info.Kinds, k) {
					t.Errorf("%s wrote %s entries (case %s) but the rule catalogue does not list the kind", r, k, produced[r][k])
				}
			}
		}
	}()
	for _, c := range ruleCases {
		t.Run(fmt.Sprintf("%s/%s/%s", c.rule, c.want, c.name), func(t *testing.T) {
			h := wftest.New(t)
			c.run(h)
			for _, e := range h.Entries() {
				if e.Rule == "" {
					continue
				}
				if produced[e.Rule] == nil {
					produced[e.Rule] = map[sop.Kind]string{}
				}
				produced[e.Rule][e.Kind] = t.Name()
			}
			v := verdictOf(h, c.rule)
			if v.Status != c.want {
				t.Fatalf("%s judged %s (%s), want %s; timeline:%s", c.rule, v.Status, v.Detail, c.want, h.Timeline())
			}
			if c.evidence != "" && !strings.Contains(v.Detail, c.evidence) {
				t.Fatalf("%s %s: evidence %q does not say %q", c.rule, v.Status, v.Detail, c.evidence)
			}
			if c.check != nil {
				c.check(t, h)
			}
			notesNameTheirStepsRules(t, h)
		})
	}
}

// notYet lists the rules whose pair of cases is still missing, with why.
// It may only shrink.
var notYet = map[sop.Rule]string{}

// TestEveryRuleCanBeMetAndBreached fails when a rule of the SOP has no case
// that keeps it or none that breaks it: a verdict that cannot say
// "breached" is not a verdict.
func TestEveryRuleCanBeMetAndBreached(t *testing.T) {
	var missing []string
	for _, r := range sop.AllRules {
		met := slices.ContainsFunc(ruleCases, func(c ruleCase) bool { return c.rule == r && c.want == audit.Met })
		breached := slices.ContainsFunc(ruleCases, func(c ruleCase) bool { return c.rule == r && c.want == audit.Breached })
		switch {
		case met && breached:
			if _, listed := notYet[r]; listed {
				t.Errorf("%s has both cases now: take it off notYet", r)
			}
		case notYet[r] != "":
			t.Logf("%s: not yet: %s", r, notYet[r])
		default:
			missing = append(missing, fmt.Sprintf("%s (met %v, breached %v)", r, met, breached))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("rules without a case that keeps them and one that breaks them:\n  %s", strings.Join(missing, "\n  "))
	}
}

// notesNameTheirStepsRules (requests under the complete SOP): a
// notification is sent for a rule the step it belongs to acted on — its rule is the rule of one of the step's entries —
// so that a notification filed under the wrong rule fails every case.
func notesNameTheirStepsRules(t *testing.T, h *wftest.Harness) {
	t.Helper()
	if h.Old {
		return // the older rules named R8.4 (the card) only in the completion's wording
	}
	for _, c := range h.Commits() {
		for _, n := range c.Notifications {
			if n.Rule == "" {
				continue
			}
			if !slices.ContainsFunc(c.Entries, func(e workflows.Entry) bool { return e.Rule == n.Rule }) {
				t.Errorf("step %d: %s to %s is filed under %s, a rule none of the step's entries names", c.Seq, n.Message, n.To, n.Rule)
			}
		}
	}
}
