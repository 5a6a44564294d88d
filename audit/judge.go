package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// slack is how far a clock may fire after its deadline and still count as
// on time (timers fire a few milliseconds late on a real server).
const slack = 2 * time.Second

// callbackGrace is how long after a call-back falls due its result may be
// recorded for the call-back to count as made on time.
const callbackGrace = time.Hour

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

var judges map[sop.Rule]judge

func init() {
	judges = map[sop.Rule]judge{
		sop.R1_1: judgeIntake,
		sop.R1_2: judgeVerification,
		sop.R1_3: func(f *facts) (string, string) {
			return Met, fmt.Sprintf("one workflow for request %s (%d run(s))", f.req.ID, f.runs)
		},
		sop.R2_1:  present(sop.KindTriaged, "triaged", "not triaged"),
		sop.R2_2:  judgeConsultation,
		sop.R2_3:  judgeParts,
		sop.R2_4:  judgeHQ(sop.R2_4),
		sop.R2_5:  present(sop.KindWorkshop, "workshop repair with a loaner unit planned", "no workshop repair"),
		sop.R3_1:  present(sop.KindWarrantyDecided, "", "no warranty decision (not a repair, or data not verified yet)"),
		sop.R3_2:  judgeFee,
		sop.R3_3:  present(sop.KindReturnDecided, "", "not a return or exchange"),
		sop.R4_1:  judgeBooking,
		sop.R4_2:  judgeConfirmation,
		sop.R4_3:  recorded(sop.KindCustomerContact, sop.R4_3, "customer unreachable: called again, centre told"),
		sop.R4_4:  recorded(sop.KindCustomerContact, sop.R4_4, "angry customer heard and the outcome recorded"),
		sop.R4_5:  recorded(sop.KindCustomerContact, sop.R4_5, "customer never reachable: engineer went to the address"),
		sop.R4_6:  judgeGuidance,
		sop.R5_1:  present(sop.KindDepartureReminder, "toolkit self-check sent with the departure reminder", "no departure"),
		sop.R5_2:  judgeDeparture,
		sop.R5_3:  judgeDelay,
		sop.R6_1:  present(sop.KindArrived, "appearance checked before knocking", "the engineer did not arrive"),
		sop.R6_2:  present(sop.KindKnocked, "bell, then two rounds of three knocks", "no knock recorded"),
		sop.R6_3:  judgeDoor,
		sop.R6_4:  judgeArrival,
		sop.R6_5:  judgeLateness,
		sop.R6_6:  recorded(sop.KindEntryRefused, sop.R6_6, "entry refused (not home / helper): handled as the SOP says"),
		sop.R6_7:  judgeDoubts,
		sop.R6_8:  recorded(sop.KindEntryRefused, sop.R6_8, "entry not possible (product elsewhere, power cut, going out, eating): rebooked or waited with consent"),
		sop.R6_9:  present(sop.KindDoorAnswered, "shoe covers on at the door", "the engineer did not enter"),
		sop.R7_1:  present(sop.KindDiagnosed, "", "no diagnosis"),
		sop.R7_2:  judgeHQ(sop.R7_2),
		sop.R7_3:  judgeCompensation,
		sop.R7_4:  recorded(sop.KindReassigned, sop.R7_4, "the centre reassigned the job"),
		sop.R7_5:  judgeIncident,
		sop.R7_6:  present(sop.KindDoorAnswered, "conduct in the home spelled out on entering", "the engineer did not enter"),
		sop.R8_1:  judgeCompletion,
		sop.R8_2:  judgeSignature,
		sop.R8_3:  judgeRevisits,
		sop.R8_4:  judgeCard,
		sop.R9_1:  judgeUncertainFix,
		sop.R9_2:  judgeEveryConsultation,
		sop.R10_1: judgeCardReturn,
		sop.R10_2: judgeReconciliation,
		sop.R11_1: judgeComplaints,
		sop.R11_2: func(f *facts) (string, string) {
			return Met, fmt.Sprintf("%d timeline entries rebuilt from %d history events of %d run(s)", len(f.entries), f.nevents, f.runs)
		},
	}
}

// present: met when an entry of kind exists (its detail as evidence, or yes).
func present(kind sop.Kind, yes, no string) judge {
	return func(f *facts) (string, string) {
		e := f.first(kind)
		if e == nil {
			return NotApplicable, no
		}
		if yes == "" {
			return Met, e.Detail
		}
		return Met, yes
	}
}

// recorded: met when entries of kind under rule exist.
func recorded(kind sop.Kind, rule sop.Rule, yes string) judge {
	return func(f *facts) (string, string) {
		es := f.all(kind, rule)
		if len(es) == 0 {
			return NotApplicable, "did not happen"
		}
		return Met, fmt.Sprintf("%s (%d time(s); last: %s)", yes, len(es), es[len(es)-1].Detail)
	}
}

func judgeIntake(f *facts) (string, string) {
	e := f.first(sop.KindRequestStarted)
	if e == nil {
		return Breached, "no intake recorded"
	}
	return Met, fmt.Sprintf("started by %s with the customer's and product's data", e.Actor)
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

func judgeParts(f *facts) (string, string) {
	req := f.first(sop.KindPartsRequisitioned)
	if req == nil {
		return NotApplicable, "no parts needed"
	}
	res := f.first(sop.KindPartsReserved)
	booked := f.first(sop.KindAppointmentBooked)
	switch {
	case res == nil && booked != nil:
		return Breached, "visit booked before the parts were reserved"
	case res == nil:
		return NotApplicable, "parts requisitioned at once, not reserved yet"
	case booked != nil && booked.At.Before(res.At):
		return Breached, "visit booked before the parts were reserved"
	}
	return Met, fmt.Sprintf("parts requisitioned at once and reserved %s later, before the visit was booked", span(res.At.Sub(req.At)))
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

func judgeFee(f *facts) (string, string) {
	fee := f.first(sop.KindFeeQuoted)
	booked := f.first(sop.KindAppointmentBooked)
	if fee == nil {
		if booked != nil && f.chargeable() {
			return Breached, "a charged visit was booked without quoting the fee standard first"
		}
		return NotApplicable, "not charged, or no visit planned"
	}
	if booked != nil && booked.At.Before(fee.At) {
		return Breached, "fee standard quoted only after the visit was booked"
	}
	return Met, "fee standard quoted before the visit; engineer brings a receipt"
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

func judgeBooking(f *facts) (string, string) {
	booked := f.all(sop.KindAppointmentBooked)
	proposed := f.all(sop.KindAppointmentProposed)
	if len(booked) == 0 && len(proposed) == 0 {
		return NotApplicable, "no appointment asked for"
	}
	d := fmt.Sprintf("%d booking(s)", len(booked))
	if len(proposed) > 0 {
		d += fmt.Sprintf(", %d other slot(s) proposed with an apology", len(proposed))
	}
	if n := len(f.all(sop.KindReassigned)); n > 0 {
		d += fmt.Sprintf(", %d reassignment(s)", n)
	}
	return Met, d
}

func judgeConfirmation(f *facts) (string, string) {
	booked := f.all(sop.KindAppointmentBooked)
	if len(booked) == 0 {
		return NotApplicable, "no appointment booked"
	}
	confirmed := f.all(sop.KindCustomerNotified, sop.R4_2)
	if len(confirmed) < len(booked) {
		return Breached, fmt.Sprintf("%d booking(s), %d confirmation(s) to the customer", len(booked), len(confirmed))
	}
	d := fmt.Sprintf("every booking confirmed to the customer (%d)", len(booked))
	if n := len(f.all(sop.KindVerified, sop.R4_2)); n > 0 {
		d += fmt.Sprintf("; mismatched data re-confirmed %d time(s)", n)
	}
	return Met, d
}

func judgeGuidance(f *facts) (string, string) {
	es := f.all(sop.KindGuidanceCall, sop.R4_6)
	if len(es) == 0 {
		return NotApplicable, "not a technical guidance request"
	}
	if esc := f.first(sop.KindEscalated, sop.R4_6); esc != nil {
		return Breached, "no call-back before the installation: " + esc.Detail
	}
	last := es[len(es)-1]
	if strings.Contains(last.Detail, "refused") {
		return Met, last.Detail
	}
	calls := f.events(sop.EvGuidanceCall)
	if len(calls) == 0 {
		return NotApplicable, "call-back pending: " + last.Detail
	}
	before := f.req.Guidance.InstallationAt.Sub(calls[0].At)
	if before > f.p.GuidanceCallWithin.Std()+slack || before < 0 {
		return Breached, "call-back outside the window before the installation"
	}
	return Met, fmt.Sprintf("registered in time; call-back %s before the installation fixed the engineer's arrival", span(before))
}

func judgeDeparture(f *facts) (string, string) {
	rems := f.all(sop.KindDepartureReminder, sop.R5_2)
	if len(rems) == 0 {
		return NotApplicable, "no departure due yet"
	}
	return Met, fmt.Sprintf("engineer reminded to leave so as to arrive %s early (%d time(s))", span(f.p.ArriveEarly.Std()), len(rems))
}

// lateArrivals returns, for every arrival after the appointment, how late.
func (f *facts) arrivals() (late []time.Duration, onTime []time.Duration) {
	for _, s := range f.events(sop.EvArrived) {
		a := s.Projection.Appointment
		if a == nil {
			continue
		}
		if d := s.At.Sub(a.Start); d > 0 {
			late = append(late, d)
		} else {
			onTime = append(onTime, -d)
		}
	}
	return late, onTime
}

func judgeDelay(f *facts) (string, string) {
	told := f.all(sop.KindCustomerNotified, sop.R5_3)
	late, _ := f.arrivals()
	switch {
	case len(late) > 0 && len(told) == 0:
		return Breached, fmt.Sprintf("arrived %s late without telling the customer in advance", span(late[0]))
	case len(told) > 0:
		return Met, fmt.Sprintf("customer told in advance of %d delay(s)", len(told))
	}
	return NotApplicable, "no delay on the way"
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

func judgeCard(f *facts) (string, string) {
	n := len(f.events(sop.EvCompleted))
	if n == 0 {
		return NotApplicable, "no visit completed"
	}
	return Met, fmt.Sprintf("service card with the service number left at %d visit(s)", n)
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
