package audit

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// slack is how far a clock may fire after its deadline and still count as
// on time (timers fire a few milliseconds late on a real server).
const slack = 2 * time.Second

// facts indexes a request's steps for the judges.
type facts struct {
	req     sop.Request
	p       sop.Policy
	steps   []workflows.CommitInput
	entries []workflows.Entry
	runs    int
	nevents int
}

func (f *facts) all(kind sop.Kind, rules ...sop.Rule) []workflows.Entry {
	var out []workflows.Entry
	for _, e := range f.entries {
		if e.Kind == kind && (len(rules) == 0 || slices.Contains(rules, e.Rule)) {
			out = append(out, e)
		}
	}
	return out
}

func (f *facts) first(kind sop.Kind, rules ...sop.Rule) *workflows.Entry {
	if es := f.all(kind, rules...); len(es) > 0 {
		return &es[0]
	}
	return nil
}

// firstAfter is the first entry of kind at or after t.
func (f *facts) firstAfter(t time.Time, kind sop.Kind, rules ...sop.Rule) *workflows.Entry {
	for _, e := range f.all(kind, rules...) {
		if !e.At.Before(t) {
			return &e
		}
	}
	return nil
}

// events returns the steps caused by events of one type.
func (f *facts) events(t sop.EventType) []workflows.CommitInput {
	var out []workflows.CommitInput
	for _, s := range f.steps {
		if s.Event != nil && s.Event.Type == t {
			out = append(out, s)
		}
	}
	return out
}

// span writes a duration for auditors: "2 h 00 m", "35 m", "12 s".
func span(d time.Duration) string {
	if d < 0 {
		return "-" + span(-d)
	}
	switch {
	case d >= time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%d h %02d m", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		d = d.Round(time.Second)
		if d%time.Minute == 0 {
			return fmt.Sprintf("%d m", d/time.Minute)
		}
		return fmt.Sprintf("%d m %02d s", d/time.Minute, (d%time.Minute)/time.Second)
	case d >= time.Second:
		return fmt.Sprintf("%d s", d.Round(time.Second)/time.Second)
	default:
		return d.Round(time.Millisecond).String()
	}
}

func near(got, want time.Duration) bool {
	d := got - want
	return d >= -slack && d <= slack
}

// Judge decides, for every rule of the SOP, whether the request's history
// shows it met, breached, or not applicable (yet), with the evidence.
func Judge(req sop.Request, p sop.Policy, steps []workflows.CommitInput, runs, events int) []Verdict {
	f := &facts{req: req, p: p, steps: steps, entries: Entries(steps), runs: runs, nevents: events}
	out := make([]Verdict, 0, len(sop.AllRules))
	for _, r := range sop.AllRules {
		status, detail := NotApplicable, ""
		if j, ok := judges[r]; ok {
			status, detail = j(f)
		}
		out = append(out, Verdict{Rule: r, Status: status, Detail: detail})
	}
	return out
}

type judge func(f *facts) (status, detail string)

// judges holds the judge of every rule (registered by the judge_*.go files).
var judges = map[sop.Rule]judge{}

// register sets the judge of a rule; a rule judged twice is a programming error.
func register(r sop.Rule, j judge) {
	if _, dup := judges[r]; dup {
		panic("audit: two judges for " + string(r))
	}
	judges[r] = j
}

// JudgeName names the function that judges a rule ("judgeDoor",
// "judgeChecklist"), for the rule catalogue; "" when no judge is
// registered, "init" for an anonymous one.
func JudgeName(r sop.Rule) string {
	j, ok := judges[r]
	if !ok {
		return ""
	}
	name := runtime.FuncForPC(reflect.ValueOf(j).Pointer()).Name()
	name = name[strings.LastIndex(name, "/")+1:]
	name = strings.TrimPrefix(name, "audit.")
	// A judge made by a function (present, judgeHQ(rule)) is its closure,
	// named after the function inlined into init: init.4.present.func1.
	parts := strings.Split(name, ".")
	parts = slices.DeleteFunc(parts, func(p string) bool {
		return strings.HasPrefix(p, "func") || p != "" && p[0] >= '0' && p[0] <= '9'
	})
	if len(parts) > 1 && parts[0] == "init" {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

// JudgeDoc says what the verdict on a rule means: its judge's doc comment.
func JudgeDoc(r sop.Rule) string { return judgeDocs[JudgeName(r)] }

// rulesJudged lists the rules with a judge, in document order.
func rulesJudged() []sop.Rule {
	var out []sop.Rule
	for _, r := range sop.AllRules {
		if _, ok := judges[r]; ok {
			out = append(out, r)
		}
	}
	return out
}
