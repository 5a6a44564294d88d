package sop

// Outcome is the structured result an entry of the timeline records, which
// the auditor's judges read (never the entry's wording, which may change).
// Entries written before outcomes existed are read by audit's legacy reader.
type Outcome string

// Outcomes.
const (
	OutNoAnswer    Outcome = "no_answer"  // a knock or a call not answered
	OutAnswered    Outcome = "answered"   // a knock or a call answered
	OutAccepted    Outcome = "accepted"   // accepted, agreed, consented
	OutRefused     Outcome = "refused"    // refused, declined, not accepted
	OutApproved    Outcome = "approved"   // the centre approved
	OutPlanned     Outcome = "planned"    // a call-back or a visit planned for later
	OutDue         Outcome = "due"        // a clock fell due
	OutDone        Outcome = "done"       // what was due was done
	OutResolved    Outcome = "resolved"   // the problem is solved, the customer satisfied
	OutUnresolved  Outcome = "unresolved" // the problem persists, the customer not satisfied
	OutOnTime      Outcome = "on_time"
	OutEarly       Outcome = "early" // earlier than the rule allows
	OutLate        Outcome = "late"
	OutConfirmed   Outcome = "confirmed"   // a checklist confirmed item by item
	OutIncomplete  Outcome = "incomplete"  // a checklist with items not confirmed
	OutMissed      Outcome = "missed"      // a deadline passed without what was due
	OutUnconfirmed Outcome = "unconfirmed" // ext: R10.2: waits for the customer's own confirmation
	OutFree        Outcome = "free"        // ext: R3.1, R12.6: served free of charge (warranty)
	OutCharged     Outcome = "charged"     // ext: R3.1, R3.2, R12.6: served at actual cost
)

// Outcomes added with booking and travel (issue 10).
const (
	OutChanged Outcome = "changed" // ext: R4.2: data corrected (re-confirmed with the customer)
)
