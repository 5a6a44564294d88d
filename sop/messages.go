package sop

// Audience is who a notification is for.
type Audience string

// Audiences of notifications.
const (
	ToCustomer   Audience = "customer"
	ToEngineer   Audience = "engineer"
	ToCentre     Audience = "centre"
	ToManager    Audience = "manager"    // the after-sales manager
	ToHQ         Audience = "hq"         // HQ technical department
	ToWarehouse  Audience = "warehouse"  // parts
	ToProduction Audience = "production" // production and technical departments (R12.9)
)

// Message is the template of a notification. The workflow decides which
// message goes to whom with which parameters; the notifier renders the text
// (Chinese and English for customers).
type Message string

// Messages.
const (
	MsgVerifyData           Message = "verify_data"           // centre: R1.2
	MsgVerifyOverdue        Message = "verify_overdue"        // centre: R1.2 escalation
	MsgConsultationCallback Message = "consultation_callback" // centre: R2.2 call-back due
	MsgPartsRequisition     Message = "parts_requisition"     // warehouse: R2.3
	MsgHQConsultation       Message = "hq_consultation"       // hq: R2.4, R7.2
	MsgHQOverdue            Message = "hq_overdue"            // manager: R2.4, R7.2
	MsgFeeStandard          Message = "fee_standard"          // customer: R3.2
	MsgAppointmentProposal  Message = "appointment_proposal"  // customer: R4.1
	MsgAppointmentConfirm   Message = "appointment_confirm"   // customer: R4.2
	MsgNewJob               Message = "new_job"               // engineer: R4.1
	MsgJobWithdrawn         Message = "job_withdrawn"         // engineer: reassigned or rebooked
	MsgRebook               Message = "rebook"                // centre: call the customer to rebook
	MsgCallAgain            Message = "call_again"            // engineer: R4.3
	MsgDepartNow            Message = "depart_now"            // engineer: R5.1, R5.2
	MsgDelayApology         Message = "delay_apology"         // customer: R5.3
	MsgLateCall             Message = "late_call"             // engineer: R6.5
	MsgKnockAgain           Message = "knock_again"           // engineer: R6.3
	MsgCallCustomer         Message = "call_customer"         // engineer: R6.3
	MsgAtYourDoor           Message = "at_your_door"          // customer: R6.3
	MsgLeaveNote            Message = "leave_note"            // engineer: R6.3
	MsgNoteLeft             Message = "note_left"             // centre: R6.3
	MsgManagerVisit         Message = "manager_visit"         // manager: R6.5, R6.7, R8.3
	MsgCompensation         Message = "compensation"          // centre: R7.3
	MsgCompensationResult   Message = "compensation_result"   // customer: R7.3
	MsgHQAnswer             Message = "hq_answer"             // customer: R7.2
	MsgIncident             Message = "incident"              // centre: R7.5
	MsgThankYou             Message = "thank_you"             // customer: R8.4 service card
	MsgRevisit              Message = "revisit"               // centre: R8.3
	MsgFollowupCall         Message = "followup_call"         // centre: R9.1
	MsgCardOverdue          Message = "card_overdue"          // centre: R10.1
	MsgFalsification        Message = "falsification"         // centre: R10.2 call-back
	MsgComplaintReceived    Message = "complaint_received"    // customer: R11.1
	MsgComplaintOverdue     Message = "complaint_overdue"     // manager: R11.1
	MsgCancelled            Message = "cancelled"             // customer/engineer
	MsgReturnDecision       Message = "return_decision"       // customer: R3.3
	MsgGuidanceCallDue      Message = "guidance_call_due"     // centre: R4.6
	MsgEscalation           Message = "escalation"            // centre: generic "needs a decision"
	MsgSuggestion           Message = "suggestion"            // production: R12.9 a customer's suggestion on a model
	MsgCallbackOverdue      Message = "callback_overdue"      // ext: R2.2, R9.1, R10.2: centre, then manager: a due call-back not made
	MsgConfirmSatisfaction  Message = "confirm_satisfaction"  // ext: R10.2: centre: call the customer to confirm an unsigned card
	MsgConfirmDeparture     Message = "confirm_departure"     // ext: R12.1: engineer: confirm the planned departure
	MsgDepartureUnconfirmed Message = "departure_unconfirmed" // ext: R12.1: centre: a departure plan not confirmed by the engineer
	MsgCalledAway           Message = "called_away"           // ext: R7.4 customer: the engineer is called to an urgent job
	MsgWorkshopReturn       Message = "workshop_return"       // ext: R2.5 centre: the unit is in the workshop, book the pickup visit
)
