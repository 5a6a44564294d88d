package workflows

import (
	"fmt"
	"slices"
	"time"

	"github.com/housecall/housecall/sop"
)

// State is everything a request's workflow knows. It is plain data so that it
// can be carried over a continue-as-new; all SOP clocks are absolute
// deadlines in Clocks, so a new run recreates its timers from them.
type State struct {
	ID      string      `json:"id"`
	Request sop.Request `json:"request"`
	Policy  sop.Policy  `json:"policy"`
	Status  sop.Status  `json:"status"`
	// Seq counts the steps committed; (ID, Seq) keys every side effect.
	Seq       int64     `json:"seq"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`

	Problems  sop.Problems `json:"problems,omitempty"`  // R1.2
	Escalated bool         `json:"escalated,omitempty"` // R1.2 verify timeout passed

	// Triage (R2) and warranty (R3).
	Category      string   `json:"category,omitempty"`
	Parts         []string `json:"parts,omitempty"`
	Loaner        bool     `json:"loaner,omitempty"` // R2.5: bring a loaner unit
	Warranty      string   `json:"warranty,omitempty"`
	WarrantyUntil string   `json:"warranty_until,omitempty"`
	Chargeable    bool     `json:"chargeable,omitempty"`
	FeeQuoted     bool     `json:"fee_quoted,omitempty"`
	// PartsRequisitioned: the parts named at triage were requisitioned
	// (R2.3; requests begun with rulesComplete).
	PartsRequisitioned bool `json:"parts_requisitioned,omitempty"`

	// Consultation and follow-ups (R2.2, R9.1).
	Consulted   bool       `json:"consulted,omitempty"`
	FollowupWhy string     `json:"followup_why,omitempty"` // "consultation" or "uncertain_fix"
	FollowupDue bool       `json:"followup_due,omitempty"` // the call-back has fallen due
	ConsultedAt *time.Time `json:"consulted_at,omitempty"`

	HQ           *Escalation   `json:"hq,omitempty"`           // R2.4, R7.2
	Compensation *Compensation `json:"compensation,omitempty"` // R7.3

	// Booking (R4).
	Engineer    string       `json:"engineer,omitempty"`
	Appointment *Appointment `json:"appointment,omitempty"`
	Proposed    *Appointment `json:"proposed,omitempty"`
	Unreachable int          `json:"unreachable,omitempty"` // R4.3, R4.5
	// ManagerVisitDue: the customer doubted the engineer and refused
	// entry; the manager is told the rebooked appointment (R6.7).
	ManagerVisitDue bool `json:"manager_visit_due,omitempty"`

	// Visits (R5–R8).
	Visits int    `json:"visits"` // service visits made (door answered)
	Visit  *Visit `json:"visit,omitempty"`
	Cards  []Card `json:"cards,omitempty"` // R8.4, R10.1

	Complaints []Complaint `json:"complaints,omitempty"` // R11.1
	Clocks     []Clock     `json:"clocks,omitempty"`

	// WaitReconciliation: the request stays open until the daily
	// reconciliation has looked at its cards (R10.2). Requests started before
	// this rule (workflow.GetVersion) end without waiting.
	WaitReconciliation bool `json:"wait_reconciliation,omitempty"`
	// CoalesceMissed: knock prompts that fell due while no worker ran are
	// given once, not in a burst (requests begun with stepsRecorded).
	CoalesceMissed bool `json:"coalesce_missed,omitempty"`
	// CalendarPurchaseDates: R1.2 compares the purchase date with today's
	// date in the service zone and refuses dates before 1990
	// (stepsRecorded); runs before it replay with the old comparison.
	CalendarPurchaseDates bool `json:"calendar_purchase_dates,omitempty"`
	// Rules is the set of rules the request began with: rulesComplete
	// brings the complete SOP of issue 10 (versions.go); 0 the rules
	// before it. Kept across runs.
	Rules int `json:"rules,omitempty"`
	// Trips counts the appointments booked (Entry.Trip).
	Trips int `json:"trips,omitempty"`
	// CallAgainBy is who owes the call again to a customer who did not
	// answer (R4.3): the call centre or the engineer; "" when none is due.
	CallAgainBy sop.Role `json:"call_again_by,omitempty"`
	// AppointmentConfirmed is the start of the appointment the customer
	// confirmed; Reschedule the customer's open request for another time
	// (R4.1, their link: customer.go).
	AppointmentConfirmed *time.Time  `json:"appointment_confirmed,omitempty"`
	Reschedule           *Reschedule `json:"reschedule,omitempty"`
	// PreviousRunID links a run reopened for a complaint to the run it continues.
	PreviousRunID string `json:"previous_run_id,omitempty"`
	// Reconciliations are the ids of the reconciliations applied (R10.2),
	// each once (rulesComplete).
	Reconciliations []int64 `json:"reconciliations,omitempty"`

	// Service is what the complete SOP records of the service (service.go).
	Service ServiceState `json:"service"`
}

// Visit is the current trip to the customer: travel, door and service.
type Visit struct {
	Departed       bool         `json:"departed,omitempty"`
	ETA            *time.Time   `json:"eta,omitempty"`
	DelayMinutes   int          `json:"delay_minutes,omitempty"`
	ArrivedAt      *time.Time   `json:"arrived_at,omitempty"`
	LateBy         sop.Duration `json:"late_by,omitempty"`
	ApologyPending bool         `json:"apology_pending,omitempty"`
	KnockedAt      *time.Time   `json:"knocked_at,omitempty"` // first unanswered knock: the door protocol runs
	Prompts        int          `json:"prompts,omitempty"`
	Called         bool         `json:"called,omitempty"`
	CallAnswered   bool         `json:"call_answered,omitempty"`
	NotePrompted   bool         `json:"note_prompted,omitempty"`
	Waiting        string       `json:"waiting,omitempty"` // entry refused, engineer waits (R6.6, R6.8)
	Entered        bool         `json:"entered,omitempty"`
	Diagnosed      bool         `json:"diagnosed,omitempty"`
	// DepartureConfirmed: the engineer confirmed the planned departure (R12.1).
	DepartureConfirmed bool `json:"departure_confirmed,omitempty"`
	// Svc is the service of the trip under the complete SOP (service.go).
	Svc *VisitService `json:"svc,omitempty"`
}

// Escalation is a question to HQ's technical department (R2.4, R7.2).
type Escalation struct {
	Rule        sop.Rule  `json:"rule"`
	Description string    `json:"description"`
	At          time.Time `json:"at"`
	Due         time.Time `json:"due"`
	Overdue     bool      `json:"overdue,omitempty"`
}

// Compensation is a customer's claim waiting for the centre (R7.3).
type Compensation struct {
	Amount float64   `json:"amount"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Card is the service task card of one visit (R8.4, R10.1).
type Card struct {
	Visit      int        `json:"visit"`
	Engineer   string     `json:"engineer"`
	Due        time.Time  `json:"due"`
	ReturnedAt *time.Time `json:"returned_at,omitempty"`
	Overdue    bool       `json:"overdue,omitempty"`
	Satisfied  bool       `json:"satisfied"`
	Signed     bool       `json:"signed"`
	Reconciled bool       `json:"reconciled,omitempty"` // R10.2
	// Confirmed is the customer's own answer (satisfaction_confirmed);
	// ConfirmAsked: the reconciliation found the card unsigned and the
	// centre was asked to call (R10.2, rulesComplete).
	Confirmed    *bool `json:"confirmed,omitempty"`
	ConfirmAsked bool  `json:"confirm_asked,omitempty"`
}

// Complaint is a complaint or supervision call (R11.1).
type Complaint struct {
	N          int        `json:"n"`
	Text       string     `json:"text"`
	At         time.Time  `json:"at"`
	Due        time.Time  `json:"due"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
	Overdue    bool       `json:"overdue,omitempty"`
}

// Clock names. Each is an SOP deadline; see State.fire.
const (
	clkVerify        = "verify_timeout"     // R1.2
	clkFollowup      = "followup_due"       // R2.2, R9.1
	clkHQ            = "hq_answer_due"      // R2.4, R7.2
	clkDeparture     = "departure_reminder" // R5.2
	clkLateNotice    = "late_notice"        // R6.5
	clkKnock         = "knock_prompt"       // R6.3
	clkCall          = "call_customer"      // R6.3
	clkCard          = "card_due"           // R10.1
	clkComplaint     = "complaint_due"      // R11.1
	clkReconcileWait = "reconcile_wait"     // R10.2
)

// clockOrder breaks ties between clocks due at the same instant: the tenth
// knock prompt comes before the call (R6.3).
var clockOrder = map[string]int{
	clkVerify: 0, clkFollowup: 1, clkHQ: 2, clkDeparture: 3, clkLateNotice: 4,
	clkKnock: 5, clkCall: 6, clkCard: 7, clkComplaint: 8,
	clkGuidanceCall: 9, clkGuidanceDeadline: 10, clkReconcileWait: 11,
}

// Clock is one SOP deadline.
type Clock struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
	Rule sop.Rule  `json:"rule"`
	N    int       `json:"n,omitempty"` // knock number, complaint number, card's visit
}

func (s *State) setClock(name string, at time.Time, rule sop.Rule, n int) {
	s.clearClock(name, n)
	s.Clocks = append(s.Clocks, Clock{Name: name, At: at, Rule: rule, N: n})
}

// clearClock removes a clock; n < 0 removes every clock of that name.
func (s *State) clearClock(name string, n int) {
	s.Clocks = slices.DeleteFunc(s.Clocks, func(c Clock) bool {
		return c.Name == name && (n < 0 || c.N == n)
	})
}

func clockLess(a, b Clock) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	if c := clockOrder[a.Name] - clockOrder[b.Name]; c != 0 {
		return c
	}
	return a.N - b.N
}

// nextClock returns the earliest deadline.
func (s *State) nextClock() (Clock, bool) {
	if len(s.Clocks) == 0 {
		return Clock{}, false
	}
	return slices.MinFunc(s.Clocks, clockLess), true
}

// clearVisitClocks drops the clocks of a trip that is over.
func (s *State) clearVisitClocks() {
	for _, n := range []string{clkDeparture, clkLateNotice, clkKnock, clkCall, clkDeparturePlan} {
		s.clearClock(n, -1)
	}
}

// finished says the workflow has nothing left to do: the request is closed
// or cancelled and no clock of it still runs.
func (s *State) finished() bool {
	return s.Status.Final() && len(s.Clocks) == 0 && s.openComplaint() == nil && !s.openService()
}

// betweenTrips says no engineer is on the way, at the door or inside.
func (s *State) betweenTrips() bool {
	switch s.Status {
	case sop.StatusEnRoute, sop.StatusAtDoor, sop.StatusInService:
		return false
	}
	return true
}

func (s *State) openComplaint() *Complaint {
	for i := range s.Complaints {
		if s.Complaints[i].AnsweredAt == nil {
			return &s.Complaints[i]
		}
	}
	return nil
}

func (s *State) outstandingCard() *Card {
	for i := range s.Cards {
		if s.Cards[i].ReturnedAt == nil {
			return &s.Cards[i]
		}
	}
	return nil
}

func (s *State) window() *sop.Window {
	if s.Appointment == nil {
		return nil
	}
	return &sop.Window{Start: s.Appointment.Start, End: s.Appointment.End}
}

func (s *State) projection() Projection {
	return Projection{
		Kind:        s.Request.Kind,
		Status:      s.Status,
		Customer:    s.Request.Customer,
		Product:     s.Request.Product,
		Symptoms:    s.Request.Symptoms,
		Engineer:    s.Engineer,
		Appointment: s.window(),
		Visits:      s.Visits,
		Warranty:    s.Warranty,
		Pending:     s.pending(),
	}
}

// View is the live state the API shows.
func (s *State) View() View {
	v := View{
		ID:          s.ID,
		Kind:        s.Request.Kind,
		Status:      s.Status,
		Engineer:    s.Engineer,
		Appointment: s.window(),
		Visits:      s.Visits,
		Warranty:    s.Warranty,
		Chargeable:  s.Chargeable,
		Pending:     s.pending(),
		Customer:    s.Request.Customer,
		Product:     s.Request.Product,
		Symptoms:    s.Request.Symptoms,
		Complaints:  s.Complaints,
		Seq:         s.Seq,
		UpdatedAt:   s.UpdatedAt,
	}
	v.Problems = s.Problems.Map()
	v.Reschedule = s.Reschedule
	v.AppointmentConfirmed = s.Appointment != nil && s.AppointmentConfirmed != nil && s.AppointmentConfirmed.Equal(s.Appointment.Start)
	if c := s.unconfirmedCard(); c != nil && s.Rules >= rulesComplete {
		v.ConfirmVisit = c.Visit
	}
	if s.Proposed != nil {
		v.Proposed = &sop.Window{Start: s.Proposed.Start, End: s.Proposed.End}
	}
	return v
}

// pending lists what the request waits for: the events it expects (in the
// order they are likely) and its clocks.
func (s *State) pending() []Pending {
	out := []Pending{}
	for _, e := range s.expected() {
		out = append(out, Pending{Event: e.t, Rule: e.rule})
	}
	cl := slices.Clone(s.Clocks)
	slices.SortFunc(cl, clockLess)
	for _, c := range cl {
		at := c.At
		out = append(out, Pending{Clock: c.Name, At: &at, Rule: c.Rule})
	}
	return out
}

type expectation struct {
	t    sop.EventType
	rule sop.Rule
}

// expected lists the events the request waits for in its current state.
func (s *State) expected() []expectation {
	var x []expectation
	add := func(t sop.EventType, r sop.Rule) { x = append(x, expectation{t, r}) }
	v := s.Visit
	switch s.Status {
	case sop.StatusVerifying:
		add(sop.EvInfoVerified, sop.R1_2)
	case sop.StatusTriage:
		if s.HQ != nil && s.HQ.Rule == sop.R2_4 {
			add(sop.EvHQAnswer, sop.R2_4)
		} else {
			add(sop.EvTriaged, sop.R2_1)
		}
	case sop.StatusConsulting:
		switch {
		case !s.Consulted:
			add(sop.EvConsultationGiven, sop.R2_2)
		case s.FollowupDue:
			add(sop.EvFollowupResult, sop.R2_2)
		}
	case sop.StatusAwaitingParts:
		add(sop.EvPartsReserved, sop.R2_3)
	case sop.StatusScheduling, sop.StatusWorkshop:
		if s.Request.Kind == sop.KindInstallationGuidance && s.FollowupDue {
			add(sop.EvGuidanceCall, sop.R4_6)
		}
		add(sop.EvAppointmentRequested, sop.R4_1)
	case sop.StatusAwaitingCustomer:
		if s.Request.Kind == sop.KindReturn {
			add(sop.EvReturnHandled, sop.R3_3)
		} else {
			add(sop.EvAppointmentAnswer, sop.R4_1)
		}
	case sop.StatusScheduled:
		add(sop.EvDeparted, sop.R5_2)
	case sop.StatusEnRoute:
		add(sop.EvArrived, sop.R6_4)
	case sop.StatusAtDoor:
		switch {
		case s.Rules >= rulesComplete:
			s.expectedAtDoor(add) // R6.2–R6.8
		case v.Waiting != "":
			add(sop.EvDoorAnswered, sop.R6_3)
		case v.KnockedAt == nil:
			add(sop.EvKnocked, sop.R6_2)
		case v.NotePrompted:
			add(sop.EvNoteLeft, sop.R6_3)
		case v.Called && !v.CallAnswered:
			add(sop.EvCallResult, sop.R6_3)
		default:
			add(sop.EvDoorAnswered, sop.R6_3)
		}
	case sop.StatusInService:
		if s.Rules >= rulesComplete {
			break // expectedService (R7.1, R12.2–R12.4)
		}
		if !v.Diagnosed {
			add(sop.EvDiagnosed, sop.R7_1)
		}
		add(sop.EvCompleted, sop.R8_1)
	case sop.StatusFollowup:
		if s.FollowupDue {
			add(sop.EvFollowupCall, sop.R9_1)
		}
	}
	if s.Proposed != nil && s.Status != sop.StatusAwaitingCustomer {
		add(sop.EvAppointmentAnswer, sop.R4_1)
	}
	if v != nil && v.ApologyPending {
		add(sop.EvApologyAnswer, sop.R6_5)
	}
	if s.HQ != nil && s.HQ.Rule == sop.R7_2 {
		add(sop.EvHQAnswer, sop.R7_2)
	}
	if s.Compensation != nil {
		add(sop.EvCompensationDecision, sop.R7_3)
	}
	if s.outstandingCard() != nil {
		add(sop.EvCardReturned, sop.R10_1)
	}
	if s.openComplaint() != nil {
		add(sop.EvComplaintAnswered, sop.R11_1)
	}
	if s.unconfirmedCard() != nil {
		add(sop.EvSatisfactionConfirmed, sop.R10_2)
	}
	x = append(x, s.bookingExpected()...)  // R4.3, R12.1
	x = append(x, s.customerExpected()...) // R4.1: another time asked for
	x = append(x, s.expectedService()...)
	return x
}

func (s *State) expects(t sop.EventType) bool {
	return slices.ContainsFunc(s.expected(), func(e expectation) bool { return e.t == t })
}

// describeWaits says what the request waits for, for a 409's reason.
func (s *State) describeWaits() string {
	p := s.pending()
	if len(p) == 0 {
		return "nothing"
	}
	out := ""
	for i, w := range p {
		if i > 0 {
			out += ", "
		}
		if w.Event != "" {
			out += string(w.Event)
		} else {
			out += fmt.Sprintf("%s at %s", w.Clock, w.At.Format(time.RFC3339))
		}
	}
	return out
}

// problems checks a request's data (R1.2) with the rule of this run.
func (s *State) problems(r sop.Request, now time.Time) sop.Problems {
	today := now.In(s.Policy.Location())
	if s.CalendarPurchaseDates {
		return r.Problems(today)
	}
	return r.ProblemsBeforeDec2026(today)
}
