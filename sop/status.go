package sop

// Status is where a request stands (contract.md, "Request status values").
type Status string

// Request statuses.
const (
	StatusVerifying        Status = "verifying"         // R1.2: data being verified
	StatusTriage           Status = "triage"            // R2: waiting for the analysis
	StatusConsulting       Status = "consulting"        // R2.2: phone consultation and its call-back
	StatusAwaitingParts    Status = "awaiting_parts"    // R2.3: parts requisitioned, not yet reserved
	StatusScheduling       Status = "scheduling"        // R4: waiting for an appointment
	StatusAwaitingCustomer Status = "awaiting_customer" // R4.1: another slot proposed to the customer
	StatusScheduled        Status = "scheduled"         // R4: appointment booked
	StatusEnRoute          Status = "en_route"          // R5: engineer on the way
	StatusAtDoor           Status = "at_door"           // R6: engineer at the door
	StatusInService        Status = "in_service"        // R7: inside, serving
	StatusWorkshop         Status = "workshop"          // R2.5/R7.1: unit in the workshop, loaner left
	StatusFollowup         Status = "followup"          // R9.1: waiting for the follow-up call
	StatusClosed           Status = "closed"
	StatusCancelled        Status = "cancelled"
)

// AllStatuses lists the statuses in the order a request normally meets them.
var AllStatuses = []Status{
	StatusVerifying, StatusTriage, StatusConsulting, StatusAwaitingParts, StatusScheduling,
	StatusAwaitingCustomer, StatusScheduled, StatusEnRoute, StatusAtDoor, StatusInService,
	StatusWorkshop, StatusFollowup, StatusClosed, StatusCancelled,
}

// Valid reports whether s is one of the contract's statuses.
func (s Status) Valid() bool {
	for _, v := range AllStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Final reports whether no more work is planned for the request.
func (s Status) Final() bool { return s == StatusClosed || s == StatusCancelled }

// Kind is the kind of one timeline entry (contract.md, "Timeline kinds").
type Kind string

// Timeline kinds of the contract, and the ones housecall added (marked "ext").
const (
	KindRequestStarted        Kind = "request_started"
	KindVerificationNeeded    Kind = "verification_needed"
	KindVerified              Kind = "verified"
	KindEscalated             Kind = "escalated"
	KindTriaged               Kind = "triaged"
	KindConsultation          Kind = "consultation"
	KindFollowupDue           Kind = "followup_due"
	KindFollowupResult        Kind = "followup_result"
	KindPartsRequisitioned    Kind = "parts_requisitioned"
	KindPartsReserved         Kind = "parts_reserved" // ext: R2.3
	KindWarrantyDecided       Kind = "warranty_decided"
	KindFeeQuoted             Kind = "fee_quoted"
	KindAppointmentProposed   Kind = "appointment_proposed"
	KindAppointmentBooked     Kind = "appointment_booked"
	KindAppointmentDeclined   Kind = "appointment_declined" // ext: R4.1
	KindReassigned            Kind = "reassigned"
	KindDepartureReminder     Kind = "departure_reminder"
	KindDeparted              Kind = "departed" // ext: R5.2
	KindCustomerNotified      Kind = "customer_notified"
	KindCustomerContact       Kind = "customer_contact" // ext: R4.2–R4.5 outcomes of calls
	KindArrived               Kind = "arrived"
	KindLate                  Kind = "late"
	KindKnocked               Kind = "knocked" // ext: R6.2
	KindKnockPrompt           Kind = "knock_prompt"
	KindCallCustomer          Kind = "call_customer"
	KindCallResult            Kind = "call_result" // ext: R6.3
	KindLeaveNote             Kind = "leave_note"
	KindNoteLeft              Kind = "note_left"
	KindCentreNotified        Kind = "centre_notified"
	KindDoorAnswered          Kind = "door_answered"
	KindEntryRefused          Kind = "entry_refused"
	KindManagerVisit          Kind = "manager_visit"
	KindDiagnosed             Kind = "diagnosed"
	KindWorkshop              Kind = "workshop"
	KindHQEscalation          Kind = "hq_escalation"
	KindHQAnswered            Kind = "hq_answered" // ext: R2.4, R7.2
	KindCompensation          Kind = "compensation"
	KindIncident              Kind = "incident"
	KindCompleted             Kind = "completed"
	KindRevisit               Kind = "revisit"
	KindCardReturned          Kind = "card_returned" // ext: R10.1
	KindCardOverdue           Kind = "card_overdue"
	KindSuspectedFalsified    Kind = "suspected_falsification"
	KindReconciled            Kind = "reconciled" // ext: R10.2, a card found consistent
	KindComplaint             Kind = "complaint"
	KindComplaintAnswered     Kind = "complaint_answered" // ext: R11.1
	KindComplaintOverdue      Kind = "complaint_overdue"
	KindReturnDecided         Kind = "return_decided" // ext: R3.3
	KindGuidanceCall          Kind = "guidance_call"  // ext: R4.6
	KindClosed                Kind = "closed"
	KindCancelled             Kind = "cancelled"
	KindChecklist             Kind = "checklist"              // ext: a conduct checklist confirmed (R5.1, R6.1, R6.9, R7.6, R8.4, R12.5)
	KindFollowupPlanned       Kind = "followup_planned"       // ext: a call-back planned (R2.2, R9.1); followup_due when it falls due
	KindSatisfactionConfirmed Kind = "satisfaction_confirmed" // ext: R10.2: the customer's own confirmation of a visit
	KindSuggestion            Kind = "suggestion"             // ext: R12.9, a customer's suggestion recorded against the model
	KindWorkExplained         Kind = "work_explained"         // ext: R12.2
	KindRepairRefused         Kind = "repair_refused"         // ext: R12.3
	KindPaused                Kind = "paused"                 // ext: R12.4
	KindResumed               Kind = "resumed"                // ext: R12.4
	KindTriageReopened        Kind = "triage_reopened"        // ext: R2.1: symptoms changed after the triage: triaged again
)

// Timeline kinds of booking and travel (issue 10).
const (
	KindCallAgain          Kind = "call_again"          // ext: R4.3: the unanswered call is due again
	KindDeparturePlan      Kind = "departure_plan"      // ext: R12.1: the engineer asked to confirm the planned departure
	KindDepartureConfirmed Kind = "departure_confirmed" // ext: R12.1: the engineer confirmed it
)
