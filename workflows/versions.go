package workflows

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
	changeLocalSteps = "local-activities-for-steps"
)
