// Package workflows holds the ServiceRequest workflow: one durable workflow per
// service request whose timers and events are the SOP (sop-rules.md).
//
// The workflow is a state machine. Events arrive as Temporal updates (so the
// caller learns at once whether the event fits: 409 otherwise) and the SOP's
// clocks are deadlines kept in the state. Every step yields a Step: timeline
// entries (each naming its rule), notifications and records, which one
// Commit activity writes to PostgreSQL, keyed by request id and step number so
// that a retried or replayed step never writes or sends twice. The timeline an
// auditor reads is rebuilt from those Commit inputs in the history.
package workflows

import (
	"time"

	"github.com/housecall/housecall/sop"
)

// Names other packages use to talk to the workflow.
const (
	// WorkflowName is the registered name of the service request workflow.
	WorkflowName = "ServiceRequest"
	// UpdateEvent is the update that delivers an sop.Event; it returns the new View.
	UpdateEvent = "event"
	// QueryState returns the View (GET /v1/requests/{id}).
	QueryState = "state"
	// QuerySnapshot returns the whole State (to reopen an ended request).
	QuerySnapshot = "snapshot"
	// ActivityCommit writes one step's effects to PostgreSQL and returns the
	// step (a CommitInput) it wrote.
	ActivityCommit = "Commit"
	// ActivityBook books an engineer's calendar slot.
	ActivityBook = "BookAppointment"
)

// Error types of rejected events (ApplicationError types), mapped to HTTP codes by the API.
const (
	ErrNotValidNow = "NotValidNow" // 409: the event does not fit the request's state
	ErrNotAssigned = "NotAssigned" // 403: an engineer who is not assigned to the request
	ErrBadEvent    = "BadEvent"    // 400: fields missing or wrong
)

// Input starts a ServiceRequest workflow.
type Input struct {
	Request sop.Request `json:"request"`
	Policy  sop.Policy  `json:"policy"`
	// Resume carries the state over a continue-as-new, or into a run
	// reopened for a complaint after the request's workflow ended.
	Resume *State `json:"resume,omitempty"`
	// PreviousRunID is the run a reopened request continues (audit chain).
	PreviousRunID string `json:"previous_run_id,omitempty"`
}

// Appointment is a booked (or proposed) slot of an engineer's calendar.
type Appointment struct {
	ID       int64        `json:"id,omitempty"`
	Engineer string       `json:"engineer"`
	Start    time.Time    `json:"start"`
	End      time.Time    `json:"end"`
	Travel   sop.Duration `json:"travel"`
}

// Departure is when the engineer must leave to arrive sop.arrive_early before the start (R5.2).
func (a Appointment) Departure(p sop.Policy) time.Time {
	return a.Start.Add(-a.Travel.Std() - p.ArriveEarly.Std())
}

// Entry is one line of the SOP timeline.
type Entry struct {
	At     time.Time `json:"at"`
	Kind   sop.Kind  `json:"kind"`
	Rule   sop.Rule  `json:"rule,omitempty"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail"`
	// Outcome is what the entry records, for the auditor's judges
	// (requests begun with rulesComplete; older entries have none).
	Outcome sop.Outcome `json:"outcome,omitempty"`
	// Trip numbers the booked appointment the entry belongs to (1, 2, …),
	// so that rules kept per visit are judged per visit.
	Trip int `json:"trip,omitempty"`
	// Missing lists the checklist items not confirmed (kind "checklist").
	Missing []string `json:"missing,omitempty"`
	// Departure is the planned departure of a booked trip (kind
	// "appointment_booked"): start − travel − sop.arrive_early (R4.1,
	// R5.2, R12.1).
	Departure *time.Time `json:"departure,omitempty"`
}

// Notification is a message to somebody, sent through the PostgreSQL outbox.
type Notification struct {
	To        sop.Audience      `json:"to"`
	Recipient string            `json:"recipient,omitempty"` // engineer id, phone number …
	Message   sop.Message       `json:"message"`
	Rule      sop.Rule          `json:"rule,omitempty"`
	Lang      string            `json:"lang,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
	Urgent    bool              `json:"urgent,omitempty"`
}

// ServiceVisitRecord is the record of one completed visit (R8.1).
type ServiceVisitRecord struct {
	Visit            int               `json:"visit"`
	Engineer         string            `json:"engineer"`
	AppointmentID    int64             `json:"appointment_id,omitempty"`
	Record           sop.ServiceRecord `json:"record"`
	QualityRating    int               `json:"quality_rating"`
	AttitudeRating   int               `json:"attitude_rating"`
	Satisfied        bool              `json:"satisfied"`
	SignedByCustomer bool              `json:"signed_by_customer"`
	FixCertain       bool              `json:"fix_certain"`
	CompletedAt      time.Time         `json:"completed_at"`
	// Signature is the customer's signature drawn on the engineer's
	// screen, a PNG data URL (sop.Event.Signature), when one was drawn.
	Signature string `json:"signature,omitempty"`
}

// Projection is the row of the requests table the call centre's lists read.
type Projection struct {
	Kind        sop.RequestKind `json:"kind"`
	Status      sop.Status      `json:"status"`
	Customer    sop.Customer    `json:"customer"`
	Product     sop.Product     `json:"product"`
	Symptoms    string          `json:"symptoms"`
	Engineer    string          `json:"engineer,omitempty"`
	Appointment *sop.Window     `json:"appointment,omitempty"`
	Visits      int             `json:"visits"`
	Warranty    string          `json:"warranty,omitempty"`
	// Pending is what the request waits for after the step (View.Pending):
	// the call centre's queue shows it from PostgreSQL.
	Pending []Pending `json:"pending,omitempty"`
}

// CommitInput is everything one step changes outside the workflow.
// (RequestID, Seq) is its idempotency key.
type CommitInput struct {
	RequestID     string         `json:"request_id"`
	Seq           int64          `json:"seq"`
	At            time.Time      `json:"at"`
	Event         *sop.Event     `json:"event,omitempty"` // the event that caused the step, if any
	Projection    Projection     `json:"projection"`
	Entries       []Entry        `json:"entries,omitempty"`
	Notifications []Notification `json:"notifications,omitempty"`
	// PartsRequisition lists parts to requisition at once (R2.3).
	PartsRequisition []string `json:"parts_requisition,omitempty"`
	// ReleaseAppointment frees a booked slot (rebooked, reassigned, cancelled, missed).
	ReleaseAppointment int64 `json:"release_appointment,omitempty"`
	// FinishAppointment marks a slot as served.
	FinishAppointment int64 `json:"finish_appointment,omitempty"`
	// ServiceRecord is written when a visit completes (R8.1).
	ServiceRecord *ServiceVisitRecord `json:"service_record,omitempty"`
	// CardReturned marks the service task card of a visit as returned (R10.1).
	CardReturned *CardReturn `json:"card_returned,omitempty"`
	// Suggestion is a customer's suggestion recorded against the product
	// model (R12.9).
	Suggestion *Suggestion `json:"suggestion,omitempty"`
	// Confirmation is the customer's own confirmation of a visit, which the
	// daily reconciliation reads (R10.2).
	Confirmation *Confirmation `json:"confirmation,omitempty"`
}

// Suggestion is what a customer suggested about a product model (R12.9).
type Suggestion struct {
	Model   string `json:"model"`
	Text    string `json:"text"`
	HeardBy string `json:"heard_by"`
}

// Confirmation is what the customer said of a visit (R10.2).
type Confirmation struct {
	Visit     int       `json:"visit"`
	Satisfied bool      `json:"satisfied"`
	At        time.Time `json:"at"`
}

// CardReturn says a visit's card came back, and when.
type CardReturn struct {
	Visit int       `json:"visit"`
	At    time.Time `json:"at"`
}

// BookInput asks for a slot in an engineer's calendar (R4.1).
type BookInput struct {
	RequestID string    `json:"request_id"`
	Key       string    `json:"key"` // idempotency key: request id + step
	Region    string    `json:"region"`
	Skill     string    `json:"skill,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	// Prefer is tried first (the engineer already on the request).
	Prefer string `json:"prefer,omitempty"`
	// Only restricts the booking to one engineer (an accepted proposal, a
	// reassignment, the engineer chosen on appointment_requested).
	Only string `json:"only,omitempty"`
	// Exclude never books this engineer (reassignment away from them).
	Exclude string `json:"exclude,omitempty"`
	// Release is the appointment the new one replaces; it is released in the same transaction.
	Release int64 `json:"release,omitempty"`
	// Propose asks for the nearest free slot when the requested one is taken.
	Propose bool `json:"propose"`
	// UTCOffsetSeconds is the service area's zone, for working hours of proposals.
	UTCOffsetSeconds int `json:"utc_offset_seconds"`
	// LeaveAfter (R4.1, requests begun with the complete SOP): an engineer
	// is booked only if they can leave for the slot (start − travel −
	// ArriveEarly) at or after this time, when the booking was asked;
	// proposals start no earlier than that allows. Zero: not checked.
	LeaveAfter  time.Time    `json:"leave_after,omitzero"`
	ArriveEarly sop.Duration `json:"arrive_early,omitempty"`
}

// Booking outcomes.
const (
	Booked   = "booked"
	Proposed = "proposed"
	NoSlot   = "none"
)

// BookResult is the calendar's answer.
type BookResult struct {
	Outcome     string       `json:"outcome"`
	Appointment *Appointment `json:"appointment,omitempty"`
	// PreferredBusy says the preferred engineer could not take the slot.
	PreferredBusy bool `json:"preferred_busy,omitempty"`
	// Reason explains a proposal or a failure ("E-1 busy 10:00–11:00", "no engineer in region north").
	Reason string `json:"reason,omitempty"`
}

// View is the live state of a request (GET /v1/requests/{id}).
type View struct {
	ID          string            `json:"id"`
	Kind        sop.RequestKind   `json:"kind"`
	Status      sop.Status        `json:"status"`
	Engineer    string            `json:"engineer,omitempty"`
	Appointment *sop.Window       `json:"appointment,omitempty"`
	Proposed    *sop.Window       `json:"proposed,omitempty"`
	Visits      int               `json:"visits"`
	Warranty    string            `json:"warranty,omitempty"`
	Chargeable  bool              `json:"chargeable"`
	Pending     []Pending         `json:"pending"`
	Problems    map[string]string `json:"problems,omitempty"`
	Customer    sop.Customer      `json:"customer"`
	Product     sop.Product       `json:"product"`
	Symptoms    string            `json:"symptoms"`
	Complaints  []Complaint       `json:"complaints,omitempty"`
	Seq         int64             `json:"seq"`
	UpdatedAt   time.Time         `json:"updated_at"`
	// Writing is the step being written to PostgreSQL, when one is: a
	// step that stays here is waiting for the database (it is retried
	// until it is written; the request resumes then).
	Writing *Writing `json:"writing,omitempty"`
	// The customer's link (R4.1, R10.2): the appointment confirmed by the
	// customer, their open request for another time, and the visit whose
	// satisfaction they may confirm (0: none).
	AppointmentConfirmed bool        `json:"appointment_confirmed,omitempty"`
	Reschedule           *Reschedule `json:"reschedule,omitempty"`
	ConfirmVisit         int         `json:"confirm_visit,omitempty"`
}

// Writing is a step scheduled for PostgreSQL and not yet written.
type Writing struct {
	Step  int64     `json:"step"`
	Since time.Time `json:"since"`
}

// Pending is one thing the workflow waits for: an event, or a clock.
type Pending struct {
	Event sop.EventType `json:"event,omitempty"`
	Clock string        `json:"clock,omitempty"`
	At    *time.Time    `json:"at,omitempty"`
	Rule  sop.Rule      `json:"rule,omitempty"`
}
