package workflows

// Changes of rules made while requests were already running. Each is a
// workflow.GetVersion change ID, asked once when a request starts; the answer
// is kept in the State, so a continued-as-new or reopened run keeps the rules
// its request began with, and recorded histories of older requests still
// replay (workflows/testdata/histories, TestReplayRecordedHistories).
//
// To change a rule: add a change ID here, ask it in ServiceRequest where the
// others are asked, keep the old behaviour for workflow.DefaultVersion, and
// record a history of the new behaviour.
const (
	// changeWaitReconciliation (R10.2): a closed request stays open until
	// the daily reconciliation has looked at its cards, so that suspected
	// falsifications land in its own timeline. Before it, a request ended as
	// soon as its cards were returned.
	changeWaitReconciliation = "R10.2-wait-for-reconciliation"
)
