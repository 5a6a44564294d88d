package sop

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Role is what a caller may do (contract.md, auth.tokens).
type Role string

// Roles.
const (
	RoleCallCentre Role = "callcentre"
	RoleEngineer   Role = "engineer" // subject = engineer id
	RoleAuditor    Role = "auditor"
	RoleAdmin      Role = "admin"
	RoleSystem     Role = "system" // housecall itself: timers, reconciliation
	// RoleCustomer is the customer acting through their signed link
	// (/c/{token}): subject = the request id. Never a token's role: only the
	// web console acts as a customer, and only on that request.
	RoleCustomer Role = "customer"
)

// Actor is who did something.
type Actor struct {
	Role    Role   `json:"role"`
	Subject string `json:"subject,omitempty"`
}

func (a Actor) String() string {
	if a.Subject == "" {
		return string(a.Role)
	}
	return string(a.Role) + ":" + a.Subject
}

// System is the actor of everything housecall does by itself.
var System = Actor{Role: RoleSystem}

// EventType names an event callers send (contract.md, "Events").
type EventType string

// Event types of the contract, and the ones housecall added (marked "ext").
const (
	EvInfoVerified          EventType = "info_verified"
	EvTriaged               EventType = "triaged"
	EvConsultationGiven     EventType = "consultation_given"
	EvFollowupResult        EventType = "followup_result"
	EvPartsReserved         EventType = "parts_reserved" // ext: R2.3
	EvAppointmentRequested  EventType = "appointment_requested"
	EvAppointmentAnswer     EventType = "appointment_answer"
	EvReassign              EventType = "reassign" // ext: R5.3, R7.4
	EvCustomerUnreachable   EventType = "customer_unreachable"
	EvCustomerAngry         EventType = "customer_angry" // ext: R4.4
	EvDeparted              EventType = "departed"
	EvDelayed               EventType = "delayed"
	EvArrived               EventType = "arrived"
	EvKnocked               EventType = "knocked"
	EvCallResult            EventType = "call_result"
	EvDoorAnswered          EventType = "door_answered"
	EvNoteLeft              EventType = "note_left"
	EvEntryRefused          EventType = "entry_refused"
	EvApologyAnswer         EventType = "apology_answer"
	EvDiagnosed             EventType = "diagnosed"
	EvProblemEscalated      EventType = "problem_escalated"
	EvHQAnswer              EventType = "hq_answer"
	EvCompensationRequested EventType = "compensation_requested"
	EvCompensationDecision  EventType = "compensation_decision"
	EvIncident              EventType = "incident"
	EvCompleted             EventType = "completed"
	EvFollowupCall          EventType = "followup_call"
	EvCardReturned          EventType = "card_returned"
	EvComplaint             EventType = "complaint"
	EvComplaintAnswered     EventType = "complaint_answered"
	EvCancel                EventType = "cancel"
	EvGuidanceCall          EventType = "guidance_call"  // ext: R4.6
	EvReturnHandled         EventType = "return_handled" // ext: R3.3
	EvSuggestion            EventType = "suggestion"     // ext: R12.9, a customer's suggestion heard at a visit or a follow-up
	// ext: R10.2: the customer's own confirmation of a visit (the centre's
	// confirmation call, later the console's customer link).
	EvSatisfactionConfirmed EventType = "satisfaction_confirmed"
	// ext: R12.1: the engineer confirms the planned departure (asked
	// sop.departure_plan_ahead before it).
	EvDepartureConfirmed EventType = "departure_confirmed"
	// ext: R4.3: the call again reached the customer (a try that did not is
	// customer_unreachable again).
	EvCustomerReached EventType = "customer_reached"
	// ext: R4.1: the customer confirms the booked appointment (their link):
	// a timeline entry, no change of state.
	EvAppointmentConfirmed EventType = "appointment_confirmed"
	// ext: R4.1: the customer asks for another time (reason, optional
	// preferred start–end): the centre is told and rebooks.
	EvRescheduleRequested EventType = "reschedule_requested"
)

// Event types of the service (issue 10, marked "ext").
const (
	EvWorkExplained   EventType = "work_explained"   // ext: R12.2
	EvRepairRefused   EventType = "repair_refused"   // ext: R12.3
	EvPaused          EventType = "paused"           // ext: R12.4
	EvResumed         EventType = "resumed"          // ext: R12.4
	EvIncidentHandled EventType = "incident_handled" // ext: R7.5
)

// Reasons of paused (R12.4).
const (
	PauseCustomerRequest = "customer_request" // the customer asks (eating, going out)
	PauseFetchTool       = "fetch_tool"       // the engineer steps out for a tool (never the owner's)
	PauseFetchPart       = "fetch_part"       // … for a part
	PauseGetHelp         = "get_help"         // … for help
)

// Fault categories of a triage (R2).
const (
	CategoryMisuse       = "misuse"
	CategoryQuality      = "quality"
	CategoryInstallation = "installation"
	CategoryUnknown      = "unknown"
)

// Reasons of entry_refused (R6.6–R6.8).
const (
	RefusedNotHome          = "not_home"
	RefusedHelperRefuses    = "helper_refuses"
	RefusedDoubtsEngineer   = "doubts_engineer"
	RefusedProductElsewhere = "product_elsewhere"
	RefusedPowerCut         = "power_cut"
	RefusedGoingOut         = "going_out"
	RefusedEating           = "eating"
)

// ServiceRecord is what the engineer writes on the record sheet (R8.1).
// Cause and measures may be completed later at the service department.
type ServiceRecord struct {
	Cause     string   `json:"cause,omitempty"`
	Measures  string   `json:"measures,omitempty"`
	PartsUsed []string `json:"parts_used,omitempty"`
	Charge    float64  `json:"charge,omitempty"`
}

// Event is one thing that happened, as a caller reports it:
// POST /v1/requests/{id}/events with {"type": …, …fields}.
// Which fields matter depends on Type; see Validate.
type Event struct {
	Type EventType `json:"type"`

	// info_verified (R1.2, R4.2)
	Customer *Customer `json:"customer,omitempty"`
	Product  *Product  `json:"product,omitempty"`
	Symptoms string    `json:"symptoms,omitempty"`

	// triaged (R2)
	Category         string   `json:"category,omitempty"`
	Parts            []string `json:"parts,omitempty"`
	OnsiteRepairable *bool    `json:"onsite_repairable,omitempty"`

	Accepted  *bool `json:"accepted,omitempty"`  // consultation_given, appointment_answer, apology_answer
	Resolved  *bool `json:"resolved,omitempty"`  // followup_result
	Satisfied *bool `json:"satisfied,omitempty"` // followup_result, followup_call, completed
	Answered  *bool `json:"answered,omitempty"`  // knocked, call_result
	Approved  *bool `json:"approved,omitempty"`  // compensation_decision
	Consented *bool `json:"consented,omitempty"` // customer_angry

	Start *time.Time `json:"start,omitempty"` // appointment_requested
	End   *time.Time `json:"end,omitempty"`
	ETA   *time.Time `json:"eta,omitempty"` // departed

	Minutes  *int   `json:"minutes,omitempty"`  // delayed
	Reason   string `json:"reason,omitempty"`   // delayed, entry_refused, compensation_requested, cancel
	Wait     *bool  `json:"wait,omitempty"`     // entry_refused: the engineer waits instead of rebooking (R6.6, R6.8)
	Address  string `json:"address,omitempty"`  // entry_refused product_elsewhere: where the product is (R6.8)
	Engineer string `json:"engineer,omitempty"` // reassign, appointment_requested: a particular engineer

	Cause       string   `json:"cause,omitempty"`       // diagnosed
	Onsite      *bool    `json:"onsite,omitempty"`      // diagnosed
	Description string   `json:"description,omitempty"` // problem_escalated, incident
	Answer      string   `json:"answer,omitempty"`      // hq_answer
	Amount      *float64 `json:"amount,omitempty"`      // compensation_requested

	QualityRating    *int           `json:"quality_rating,omitempty"`  // completed
	AttitudeRating   *int           `json:"attitude_rating,omitempty"` // completed
	SignedByCustomer *bool          `json:"signed_by_customer,omitempty"`
	FixCertain       *bool          `json:"fix_certain,omitempty"`
	Record           *ServiceRecord `json:"record,omitempty"`
	// Signature is the customer's signature drawn on the engineer's screen,
	// a PNG data URL (completed, optional; SignatureProblem).
	Signature string `json:"signature,omitempty"`

	Text       string `json:"text,omitempty"`       // complaint
	Resolution string `json:"resolution,omitempty"` // complaint_answered
	Note       string `json:"note,omitempty"`       // free text on any event

	// Visit is the service visit a satisfaction_confirmed is about (ext: R10.2).
	Visit *int `json:"visit,omitempty"`
	// Rating is the customer's own rating of the visit, 1–5 (ext: R10.2:
	// satisfaction_confirmed, optional).
	Rating *int `json:"rating,omitempty"`
	// ext: R2.5: diagnosed onsite=false: the customer accepts the workshop
	// repair (true) or declines it (false: the request goes back to booking).
	WorkshopAccepted *bool `json:"workshop_accepted,omitempty"`
	// ext: R12.2: work_explained: the customer agrees (accepted), the work's
	// expected minutes and the fee quoted (0 when free).
	Fee *float64 `json:"fee,omitempty"`
	// ext: R12.3: repair_refused: the customer was persuaded to have the
	// repair; if not, Return describes the return or exchange asked for.
	Persuaded *bool       `json:"persuaded,omitempty"`
	Return    *ReturnInfo `json:"return,omitempty"`
	// ext: R12.4: paused: the agreed time to resume (reason in Reason).
	ResumeAt *time.Time `json:"resume_at,omitempty"`
	// ext: R7.5: incident_handled: the centre lets the service continue
	// (true) or ends the trip and rebooks (false).
	Continue *bool `json:"continue,omitempty"`

	// Checklist is the items of the event's conduct checklists the engineer
	// confirms (sop.Checklists: departed, arrived, door_answered, knocked,
	// completed); an item left out is recorded as not confirmed.
	Checklist []string `json:"checklist,omitempty"`

	// Remote asks, at triage, for the fault to be solved remotely (phone or
	// video guidance) before any visit, whatever its category.
	Remote *bool `json:"remote,omitempty"` // ext: R12.7: triaged

	// Set by housecall, never by the caller.
	Actor Actor     `json:"actor"`
	At    time.Time `json:"at,omitempty"` // when the API received it
}

// Who may send each event type (contract.md, "Events").
var eventRoles = map[EventType][]Role{
	EvInfoVerified:          {RoleCallCentre},
	EvTriaged:               {RoleCallCentre, RoleEngineer},
	EvConsultationGiven:     {RoleCallCentre, RoleEngineer},
	EvFollowupResult:        {RoleCallCentre},
	EvPartsReserved:         {RoleCallCentre},
	EvAppointmentRequested:  {RoleCallCentre},
	EvAppointmentAnswer:     {RoleCallCentre, RoleCustomer},
	EvReassign:              {RoleCallCentre},
	EvCustomerUnreachable:   {RoleCallCentre, RoleEngineer},
	EvCustomerAngry:         {RoleCallCentre, RoleEngineer},
	EvDeparted:              {RoleEngineer},
	EvDelayed:               {RoleEngineer},
	EvArrived:               {RoleEngineer},
	EvKnocked:               {RoleEngineer},
	EvCallResult:            {RoleEngineer},
	EvDoorAnswered:          {RoleEngineer},
	EvNoteLeft:              {RoleEngineer},
	EvEntryRefused:          {RoleEngineer},
	EvApologyAnswer:         {RoleEngineer},
	EvDiagnosed:             {RoleEngineer},
	EvProblemEscalated:      {RoleEngineer},
	EvHQAnswer:              {RoleCallCentre},
	EvCompensationRequested: {RoleEngineer},
	EvCompensationDecision:  {RoleCallCentre},
	EvIncident:              {RoleEngineer},
	EvCompleted:             {RoleEngineer},
	EvFollowupCall:          {RoleCallCentre},
	EvCardReturned:          {RoleEngineer, RoleCallCentre},
	EvComplaint:             {RoleCallCentre},
	EvComplaintAnswered:     {RoleCallCentre},
	EvCancel:                {RoleCallCentre},
	EvGuidanceCall:          {RoleCallCentre},
	EvReturnHandled:         {RoleCallCentre},
	EvSuggestion:            {RoleEngineer, RoleCallCentre},
	EvDepartureConfirmed:    {RoleEngineer},                 // ext: R12.1
	EvCustomerReached:       {RoleCallCentre, RoleEngineer}, // ext: R4.3
	EvSatisfactionConfirmed: {RoleCallCentre, RoleCustomer}, // ext: R10.2
	EvAppointmentConfirmed:  {RoleCallCentre, RoleCustomer}, // ext: R4.1
	EvRescheduleRequested:   {RoleCallCentre, RoleCustomer}, // ext: R4.1
	EvWorkExplained:         {RoleEngineer},                 // ext: R12.2
	EvRepairRefused:         {RoleEngineer},                 // ext: R12.3
	EvPaused:                {RoleEngineer},                 // ext: R12.4
	EvResumed:               {RoleEngineer},                 // ext: R12.4
	EvIncidentHandled:       {RoleCallCentre},               // ext: R7.5
}

// EventTypes lists every known event type, sorted.
func EventTypes() []EventType {
	out := make([]EventType, 0, len(eventRoles))
	for t := range eventRoles {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Known reports whether t is an event type housecall understands.
func (t EventType) Known() bool { _, ok := eventRoles[t]; return ok }

// Roles returns who may send events of type t.
func (t EventType) Roles() []Role { return eventRoles[t] }

// Allows reports whether role r may send events of type t. An admin may send
// what the call centre may.
func (t EventType) Allows(r Role) bool {
	roles := eventRoles[t]
	if r == RoleAdmin {
		r = RoleCallCentre
	}
	return slices.Contains(roles, r)
}

// Validate checks the fields an event of its type needs, and the bounds of
// every field (sop.Limits: lengths, characters, numbers, times around e.At),
// as field name → reason (400 at the API; the workflow's update validator
// runs the same checks). It does not look at the request's state; whether
// the event fits the state is the workflow's decision (409).
func (e Event) Validate() map[string]string {
	// The bounds of every field (sop.Limits) come first: a value beyond
	// them is never echoed back in another reason.
	f := problems{}
	e.bounds(f)
	set := func(name, reason string) {
		if _, done := f[name]; !done {
			f[name] = reason
		}
	}
	need := func(name string, ok bool) {
		if !ok {
			set(name, "required")
		}
	}
	text := func(name, v string) { need(name, strings.TrimSpace(v) != "") }
	rating := func(name string, v *int) {
		switch {
		case v == nil:
			set(name, "required")
		case *v < 1 || *v > 5:
			set(name, fmt.Sprintf("must be 1–5, got %d", *v))
		}
	}
	if msg := checklistProblem(e.Type, e.Checklist); msg != "" {
		set("checklist", msg)
	}
	if e.Signature != "" {
		if e.Type != EvCompleted {
			set("signature", "only a completed visit carries a signature")
		} else if msg := SignatureProblem(e.Signature); msg != "" {
			set("signature", msg)
		}
	}
	switch e.Type {
	case "":
		set("type", "required")
	case EvInfoVerified:
		if e.Customer != nil && e.Customer.Phone != "" {
			if msg := PhoneProblem(e.Customer.Phone); msg != "" {
				set("customer.phone", msg)
			}
		}
		if e.Product != nil && e.Product.PurchaseDate != "" {
			if _, err := ParseDate(e.Product.PurchaseDate); err != nil {
				set("product.purchase_date", err.Error())
			}
		}
	case EvTriaged:
		switch e.Category {
		case CategoryMisuse, CategoryQuality, CategoryInstallation, CategoryUnknown:
		case "":
			set("category", "required")
		default:
			set("category", fmt.Sprintf("must be misuse, quality, installation or unknown, got %q", e.Category))
		}
		for i, p := range e.Parts {
			if strings.TrimSpace(p) == "" {
				set(fmt.Sprintf("parts[%d]", i), "empty")
			}
		}
	case EvConsultationGiven, EvAppointmentAnswer, EvApologyAnswer:
		need("accepted", e.Accepted != nil)
	case EvFollowupResult:
		need("resolved", e.Resolved != nil)
	case EvFollowupCall:
		need("satisfied", e.Satisfied != nil)
	case EvAppointmentRequested:
		need("start", e.Start != nil)
		need("end", e.End != nil)
		if e.Start != nil && e.End != nil && !e.End.After(*e.Start) {
			set("end", "must be after start")
		}
		if e.Engineer != "" && !engineerID.MatchString(e.Engineer) {
			set("engineer", fmt.Sprintf("not an engineer id: %q", e.Engineer))
		}
	case EvDelayed:
		switch {
		case e.Minutes == nil:
			set("minutes", "required")
		case *e.Minutes <= 0:
			set("minutes", "must be positive")
		}
	case EvCallResult:
		need("answered", e.Answered != nil)
	case EvCustomerAngry:
		need("consented", e.Consented != nil)
	case EvEntryRefused:
		switch e.Reason {
		case RefusedNotHome, RefusedHelperRefuses, RefusedDoubtsEngineer, RefusedProductElsewhere,
			RefusedPowerCut, RefusedGoingOut, RefusedEating:
		case "":
			set("reason", "required")
		default:
			set("reason", fmt.Sprintf("unknown reason %q", e.Reason))
		}
	case EvDiagnosed:
		text("cause", e.Cause)
		need("onsite", e.Onsite != nil)
	case EvProblemEscalated, EvIncident:
		text("description", e.Description)
	case EvHQAnswer:
		text("answer", e.Answer)
	case EvCompensationRequested:
		text("reason", e.Reason)
		if e.Amount != nil && *e.Amount < 0 {
			set("amount", "must not be negative")
		}
	case EvCompensationDecision:
		need("approved", e.Approved != nil)
	case EvCompleted:
		rating("quality_rating", e.QualityRating)
		rating("attitude_rating", e.AttitudeRating)
		need("satisfied", e.Satisfied != nil)
		need("signed_by_customer", e.SignedByCustomer != nil)
		need("fix_certain", e.FixCertain != nil)
		if e.Record != nil && e.Record.Charge < 0 {
			set("record.charge", "must not be negative")
		}
	case EvComplaint, EvSuggestion:
		text("text", e.Text)
	case EvComplaintAnswered:
		text("resolution", e.Resolution)
	case EvCancel:
		text("reason", e.Reason)
	case EvGuidanceCall:
		need("start", e.Start != nil)
	case EvReturnHandled:
		need("accepted", e.Accepted != nil)
	case EvSatisfactionConfirmed: // ext: R10.2
		need("visit", e.Visit != nil)
		need("satisfied", e.Satisfied != nil)
		if e.Rating != nil && (*e.Rating < 1 || *e.Rating > 5) {
			set("rating", fmt.Sprintf("must be 1–5, got %d", *e.Rating))
		}
	case EvRescheduleRequested: // ext: R4.1
		text("reason", e.Reason)
		if (e.Start == nil) != (e.End == nil) {
			if e.Start == nil {
				set("start", "required with end")
			} else {
				set("end", "required with start")
			}
		}
		if e.Start != nil && e.End != nil && !e.End.After(*e.Start) {
			set("end", "must be after start")
		}
	case EvWorkExplained: // ext: R12.2
		need("accepted", e.Accepted != nil)
		need("minutes", e.Minutes != nil)
		need("fee", e.Fee != nil)
		if e.Fee != nil && *e.Fee < 0 {
			set("fee", "must not be negative")
		}
	case EvRepairRefused: // ext: R12.3
		text("reason", e.Reason)
		need("persuaded", e.Persuaded != nil)
		if e.Persuaded != nil && !*e.Persuaded {
			need("return", e.Return != nil)
		}
	case EvPaused: // ext: R12.4
		switch e.Reason {
		case PauseCustomerRequest, PauseFetchTool, PauseFetchPart, PauseGetHelp:
		case "":
			set("reason", "required")
		default:
			set("reason", fmt.Sprintf("must be customer_request, fetch_tool, fetch_part or get_help, got %q", e.Reason))
		}
		need("resume_at", e.ResumeAt != nil)
	case EvIncidentHandled: // ext: R7.5
		text("resolution", e.Resolution)
		need("continue", e.Continue != nil)
	default:
		if !e.Type.Known() {
			set("type", fmt.Sprintf("unknown event type %q", e.Type))
		}
	}
	return f
}

// Bool reads an optional boolean with a default.
func Bool(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// Fingerprint identifies an event for its Idempotency-Key: sha256 of the
// sender, the type and the canonical body (the event marshalled again,
// without the time housecall sets), so white space and key order in what
// the caller sent do not matter.
func (e Event) Fingerprint() string {
	actor := e.Actor.String()
	e.Actor, e.At = Actor{}, time.Time{}
	b, _ := json.Marshal(e)
	h := sha256.New()
	fmt.Fprintf(h, "housecall-event/1\n%s\n%s\n", actor, e.Type)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// engineerID is the form of an engineer's id (the engineers table's check;
// appointment_requested.engineer).
var engineerID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
