package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/sop"
)

// The call centre's queue (console /centre): requests with what they wait
// for, filtered and searched in PostgreSQL, never by a workflow query per
// row.

// QueueFilter narrows the queue. Only the filters given enter the WHERE
// clause (as in listQuery), so each combination is planned on its index.
type QueueFilter struct {
	// ID is one request (the live queue redraws one row).
	ID       string
	Status   sop.Status
	Region   string
	Engineer string
	// Overdue keeps only the requests OverdueSQL holds for.
	Overdue bool
	// Search is an exact request id, customer phone or product serial
	// (requests_pkey, requests_phone, requests_serial: a BitmapOr).
	Search string
	Limit  int
	// Now is the instant overdue is judged at (zero: time.Now()).
	Now time.Time
}

// QueueRow is a request of the queue.
type QueueRow struct {
	RequestRow
	// Overdue: see OverdueSQL.
	Overdue bool `json:"overdue"`
}

// OverdueSQL says, for a row of requests, whether one of its SOP deadlines
// has passed while what it waits for has not come. $1 is now. It holds
// when:
//
//   - next_due < now: a clock's instant has passed and the workflow has
//     not yet fired it (a worker down or behind) — whatever the clock;
//   - the request still waits for info_verified but its verify_timeout
//     clock is gone: the R1.2 verification deadline fired (escalated to
//     the centre) and the data is still not verified;
//   - it waits for hq_answer without its hq_answer_due clock: HQ did not
//     answer in time (R2.4, R7.2) and still has not;
//   - it waits for complaint_answered without a complaint_due clock: the
//     12 h of R11.1 passed for the open complaint (escalated to the
//     manager) and it is still not answered;
//   - it waits for compensation_decision without its compensation_due
//     clock (R7.3, escalated);
//   - a call-back deadline (callback_overdue, confirmation_overdue: R2.2,
//     R9.1, R10.2) is pending and its first escalation already fired: the
//     latest call-back entry of its timeline (followup_due, reconciled, or
//     an escalated entry of those rules) is the escalation. The clock is
//     then re-armed for the manager, so its own instant is still ahead —
//     yet the call-back is late.
//
// A clock still running (its instant ahead, nothing escalated) is not
// overdue: it is counted down on the page. The pending-list conditions are
// the generated columns waits_late and callback_running (migration 008),
// each with a partial index, so "overdue only" is a BitmapOr of indexes.
const OverdueSQL = `(COALESCE(next_due < $1, false) OR waits_late
	OR (callback_running AND COALESCE((SELECT t.kind = 'escalated' FROM timeline t WHERE t.request_id = requests.id
			AND (t.kind IN ('followup_due', 'reconciled') OR (t.kind = 'escalated' AND t.rule IN ('R2.2', 'R9.1', 'R10.2')))
			ORDER BY t.seq DESC, t.idx DESC LIMIT 1), false)))`

// queueQuery is the SQL of Queue for a filter.
func queueQuery(f QueueFilter) (string, []any) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	if f.Now.IsZero() {
		f.Now = time.Now()
	}
	c := conds{args: []any{f.Now}} // $1: OverdueSQL's now
	if f.ID != "" {
		c.add("id = $?", f.ID)
	}
	c.byRequest(f.Status, f.Engineer, f.Region)
	if s := strings.TrimSpace(f.Search); s != "" {
		c.add("(id = $? OR customer ->> 'phone' = $? OR product ->> 'serial' = $?)", s)
	}
	if f.Overdue {
		c.where = append(c.where, OverdueSQL)
	}
	q := `SELECT ` + requestColumns + `, ` + OverdueSQL + ` FROM requests`
	if strings.TrimSpace(f.Search) != "" {
		return fewFirst(q, c.where, c.args, f.Limit)
	}
	return recentFirst(q, c.where, c.args, f.Limit)
}

// Queue returns the requests of the queue, most recently changed first.
func (s *Store) Queue(ctx context.Context, f QueueFilter) ([]QueueRow, error) {
	q, args := queueQuery(f)
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (QueueRow, error) {
		var qr QueueRow
		var err error
		qr.RequestRow, err = scanRequest(scanTail{r, &qr.Overdue})
		return qr, err
	})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	if out == nil {
		out = []QueueRow{}
	}
	return out, nil
}

// scanTail scans a row into scanRequest's destinations plus extra ones
// after them.
type scanTail struct {
	pgx.Row
	extra any
}

func (s scanTail) Scan(dest ...any) error { return s.Row.Scan(append(dest, s.extra)...) }
