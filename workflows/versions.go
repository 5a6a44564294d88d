package workflows

import "go.temporal.io/sdk/workflow"

// Changes of rules made while requests were already running. Each is a
// workflow.GetVersion change ID, asked once when a request starts; the answer
// is kept in the State, so a continued-as-new or reopened run keeps the rules
// its request began with, and recorded histories of older requests still
// replay (workflows/testdata/histories, TestReplayRecordedHistories).
//
// To change a rule: add a change ID here, ask it in ServiceRequest where the
// others are asked, keep the old behaviour for workflow.DefaultVersion, and
// record a history of the new behaviour. Requests that began after a change
// need not ask for the changes before it: changeLocalSteps answered 1 implies
// every rule change above it.
const (
	// changeWaitReconciliation (R10.2): a closed request stays open until
	// the daily reconciliation has looked at its cards, so that suspected
	// falsifications land in its own timeline. Before it, a request ended as
	// soon as its cards were returned.
	changeWaitReconciliation = "R10.2-wait-for-reconciliation"
)

// Changes of how the workflow runs that are not rules. These are asked at
// the start of every run, a continued-as-new one included: a run takes the
// newest way, and only the histories written before the change keep the old.
const (
	// changeLocalSteps: Commit and BookAppointment run as local activities,
	// inside the workflow task that decided the step, instead of as
	// activity tasks of their own. Both are short, idempotent writes to
	// PostgreSQL; as local activities a step costs one workflow task
	// instead of three, which halves the latency of an event (make bench).
	// The history keeps each step: the Commit activity returns the step it
	// committed, and its local-activity marker holds it (audit.Steps).
	// The search attributes are set once per workflow task, after all the
	// steps it took, instead of after every step: each upsert is a
	// visibility write, the server's most expensive (make bench).
	//
	// Version 2 (stepsRecorded) runs the steps as activity tasks again,
	// dispatched eagerly: a local activity writes to PostgreSQL before the
	// workflow task that decided the step is recorded, so a worker that
	// died in between left rows for a step the history never had, and the
	// next, different event reused its number (issue 9). An activity task
	// exists only once the history holds its input: PostgreSQL can only
	// ever hold recorded steps, with the recorded time. Version 2 also
	// brings two rules to the requests that begin with it, kept in their
	// State across runs: knock prompts missed while no worker ran are
	// coalesced (State.CoalesceMissed), and R1.2 compares purchase dates as
	// calendar dates in the service zone, from 1990 (CalendarPurchaseDates).
	//
	// Version 3 (stepsComplete) runs steps as version 2 does; a request
	// whose first run answers 3 begins with rulesComplete (State.Rules), so
	// the complete SOP costs no marker of its own.
	//
	// Version 4 (stepsStartAttributes) runs steps as version 3 does; a
	// request is started with its region and kind as search attributes
	// and the workflow upserts none (search.go): the exact status,
	// engineer and warranty, upserted at every change before, cost a
	// visibility write each, the embedded server's most expensive (make
	// bench). A continued-as-new run of an older request takes the new way
	// and removes the attributes it would leave stale, once.
	changeLocalSteps = "local-activities-for-steps"
)

// stepMode is how a run executes its steps: the answer to changeLocalSteps.
type stepMode int

const (
	stepsTasks           stepMode = stepMode(workflow.DefaultVersion) // activity tasks, search attributes after every step
	stepsLocal           stepMode = 1                                 // local activities, search attributes once per workflow task
	stepsRecorded        stepMode = 2                                 // activity tasks after the decision is recorded; attributes once per task
	stepsComplete        stepMode = 3                                 // as stepsRecorded; new requests take rulesComplete
	stepsStartAttributes stepMode = 4                                 // as stepsComplete; search attributes given at start, none upserted
)

// Rule sets a request can begin with (State.Rules).
const (
	// rulesComplete is the complete SOP (issue 10): every rule of
	// sop-rules.md R1.1–R12.9 enforced or confirmed by checklist, entries
	// with structured outcomes and trips, deadlines with escalations for
	// every wait. Requests begin with it when their first run answers
	// changeLocalSteps with stepsComplete.
	rulesComplete = 1
)

// ChangeLocalSteps and StepsVersionNow name the change and the newest answer
// new requests get, for tests elsewhere that mock the answer (an older
// request's way) with OnGetVersion.
const (
	ChangeLocalSteps = changeLocalSteps
	StepsVersionNow  = workflow.Version(stepsStartAttributes)
)
