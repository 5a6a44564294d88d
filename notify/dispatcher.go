package notify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

// Defaults of the Dispatcher's fields.
const (
	DefaultMaxAttempts  = 12
	DefaultBatch        = 32
	DefaultLease        = 2 * time.Minute
	DefaultPollInterval = 2 * time.Second
	DefaultConcurrency  = 4
)

// Outcomes reported to Dispatcher.OnResult.
const (
	OutcomeSent   = "sent"   // delivered and marked sent
	OutcomeRetry  = "retry"  // failed, will be tried again
	OutcomeFailed = "failed" // given up: permanent error or MaxAttempts reached
)

// ListenerApplicationName is the application_name of the dispatcher's
// LISTEN connection (as pg_stat_activity shows it).
const ListenerApplicationName = "housecall-notify"

// Dispatcher sends the outbox's notifications. Zero fields take the defaults.
type Dispatcher struct {
	Store *store.Store
	// Notifier delivers; nil: a LogNotifier writing to Log.
	Notifier Notifier
	// Render renders a row; nil: Render (package ServiceNumber).
	Render func(store.Outgoing) (subject, text string)
	Log    *zap.Logger // nil: no logging
	// MaxAttempts gives a notification up after this many failed attempts (default 12).
	MaxAttempts int
	// Batch is how many rows one claim takes (default 32).
	Batch int
	// Lease is how long a claimed row is kept from other dispatchers (default
	// 2 min). It must be longer than a send takes: after it, the row may be
	// sent again.
	Lease time.Duration
	// PollInterval is how often the outbox is read without a NOTIFY (default 2 s).
	PollInterval time.Duration
	// Backoff is the wait before attempt+1 after a failed attempt (1-based);
	// nil: DefaultBackoff. A Retry-After longer than it wins.
	Backoff func(attempt int) time.Duration
	// Concurrency is how many notifications are sent at once (default 4);
	// a request's notifications of one claim go out one after the other.
	Concurrency int
	// OnResult, if set, is called once per attempt with the message and its
	// outcome (OutcomeSent, OutcomeRetry, OutcomeFailed), e.g. to count them
	// in a Prometheus counter vector. It is called concurrently.
	OnResult func(message string, outcome string)
	// Link, if set, makes the customer's own link (the web console's signed
	// /c/{token}) for a notification to the customer; staff notifications
	// carry none.
	Link func(n Notification) string

	initOnce sync.Once
}

// DefaultBackoff waits 2 s·2^(attempt-1), at most 10 min, less up to 20 %
// of jitter so that failures of a burst do not retry in lockstep.
func DefaultBackoff(attempt int) time.Duration {
	const base, ceiling = 2 * time.Second, 10 * time.Minute
	d := ceiling
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 20 { // beyond that 2 s·2^n passes the ceiling anyway
		d = min(base<<(attempt-1), ceiling)
	}
	return d - rand.N(d/5+1)
}

func (d *Dispatcher) init() {
	d.initOnce.Do(func() {
		if d.Log == nil {
			d.Log = zap.NewNop()
		}
		if d.Notifier == nil {
			d.Notifier = LogNotifier{Log: d.Log}
		}
		if d.Render == nil {
			d.Render = Render
		}
		if d.MaxAttempts <= 0 {
			d.MaxAttempts = DefaultMaxAttempts
		}
		if d.Batch <= 0 {
			d.Batch = DefaultBatch
		}
		if d.Lease <= 0 {
			d.Lease = DefaultLease
		}
		if d.PollInterval <= 0 {
			d.PollInterval = DefaultPollInterval
		}
		if d.Backoff == nil {
			d.Backoff = DefaultBackoff
		}
		if d.Concurrency <= 0 {
			d.Concurrency = DefaultConcurrency
		}
	})
}

// Run sends notifications until ctx is cancelled, then returns nil. It wakes
// on every NOTIFY on store.OutboxChannel (a LISTEN connection of its own,
// reconnected with backoff when the database goes away) and every
// PollInterval in any case. Errors of the database are logged and retried;
// Run returns an error only when it is misconfigured.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.Store == nil || d.Store.Pool == nil {
		return errors.New("notify: dispatcher without a store")
	}
	d.init()
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() { d.listen(ctx, wake) })
	defer wg.Wait()

	poll := time.NewTicker(d.PollInterval)
	defer poll.Stop()
	for {
		if _, err := d.DrainOnce(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("notification outbox unavailable", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		}
	}
}

// listen keeps a LISTEN connection open and signals wake on every
// notification, and once after each (re)connection, since NOTIFYs sent while
// it was away are lost.
func (d *Dispatcher) listen(ctx context.Context, wake chan<- struct{}) {
	signal := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	cfg := d.Store.Pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = ListenerApplicationName
	retry := newRetry(100*time.Millisecond, 30*time.Second)
	for ctx.Err() == nil {
		err := d.listenOnce(ctx, cfg, func() { retry.reset(); signal() }, signal)
		if ctx.Err() != nil {
			return
		}
		wait := retry.next()
		d.Log.Warn("outbox LISTEN connection lost, reconnecting", zap.Error(err), zap.Duration("in", wait))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// listenCheck is how long the LISTEN connection may be silent before it is
// pinged, to find a connection that died without a word.
const listenCheck = 30 * time.Second

func (d *Dispatcher) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, connected, notified func()) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{store.OutboxChannel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	d.Log.Debug("listening for notifications", zap.String("channel", store.OutboxChannel))
	connected()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheck)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			notified()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return fmt.Errorf("wait: %w", err)
		}
	}
}

// DrainOnce sends what is due now: it claims and sends batches until a claim
// comes back short. It returns how many were delivered; the error is the
// database's (a failed delivery is recorded, not returned).
func (d *Dispatcher) DrainOnce(ctx context.Context) (sent int, err error) {
	if d.Store == nil || d.Store.Pool == nil {
		return 0, errors.New("notify: dispatcher without a store")
	}
	d.init()
	for ctx.Err() == nil {
		batch, err := d.Store.ClaimDue(ctx, d.Batch, d.Lease)
		if err != nil {
			return sent, err
		}
		sent += d.sendAll(ctx, batch)
		if len(batch) < d.Batch {
			return sent, nil
		}
	}
	return sent, ctx.Err()
}

// sendAll sends a claimed batch, Concurrency at a time, each request's
// notifications in claim order.
func (d *Dispatcher) sendAll(ctx context.Context, batch []store.Outgoing) int {
	// A row still waiting when most of its lease is gone is handed back
	// rather than sent late, when another dispatcher may take it too.
	leaseEnds := time.Now().Add(d.Lease * 3 / 4)
	var (
		groups [][]store.Outgoing
		index  = map[string]int{}
	)
	for _, o := range batch {
		i, ok := index[o.RequestID]
		if !ok {
			i = len(groups)
			index[o.RequestID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], o)
	}
	var (
		mu   sync.Mutex
		sent int
		wg   sync.WaitGroup
		sem  = make(chan struct{}, d.Concurrency)
	)
	for _, g := range groups {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, o := range g {
				if time.Now().After(leaseEnds) {
					d.release(ctx, o, errors.New("lease running out"))
					continue
				}
				if d.sendOne(ctx, o) {
					mu.Lock()
					sent++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return sent
}

// sendOne delivers one claimed row and records the outcome.
func (d *Dispatcher) sendOne(ctx context.Context, o store.Outgoing) bool {
	if ctx.Err() != nil { // stopping: hand the row back at once rather than after the lease
		d.release(ctx, o, ctx.Err())
		return false
	}
	err := d.send(ctx, o)
	// The outcome is recorded even when ctx is cancelled meanwhile: a
	// delivered notification must be marked sent.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	log := d.logger(o)
	if err == nil {
		if err := d.Store.MarkSent(mctx, o); err != nil {
			// Delivered; the lease runs out and it is sent again under the same key.
			log.Error("notification delivered but not marked sent", zap.Error(err))
		}
		d.result(o.Message, OutcomeSent)
		return true
	}
	if ctx.Err() != nil {
		d.release(ctx, o, err)
		return false
	}
	cause := err.Error()
	if IsPermanent(err) || o.Attempts >= d.MaxAttempts {
		why := "permanent error"
		if !IsPermanent(err) {
			why = fmt.Sprintf("%d attempts", o.Attempts)
		}
		log.Error("notification failed, given up", zap.String("why", why), zap.Error(err))
		if err := d.Store.MarkFailed(mctx, o, cause); err != nil {
			log.Error("cannot mark notification failed", zap.Error(err))
		}
		d.result(o.Message, OutcomeFailed)
		return false
	}
	wait := max(d.Backoff(o.Attempts), RetryAfter(err))
	log.Warn("notification not delivered, will retry", zap.Duration("in", wait), zap.Error(err))
	if err := d.Store.MarkRetry(mctx, o, wait, cause); err != nil {
		log.Error("cannot schedule the notification's retry", zap.Error(err))
	}
	d.result(o.Message, OutcomeRetry)
	return false
}

// send renders and delivers o; a panic of the renderer or notifier is an error.
func (d *Dispatcher) send(ctx context.Context, o store.Outgoing) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	n := NewNotification(o, d.Render)
	if d.Link != nil && n.Audience == string(sop.ToCustomer) {
		n.Link = d.Link(n)
	}
	return d.Notifier.Send(ctx, n)
}

func (d *Dispatcher) logger(o store.Outgoing) *zap.Logger {
	return d.Log.With(zap.String("request_id", o.RequestID), zap.Int64("notification", o.ID),
		zap.String("key", o.Key()), zap.String("message", o.Message), zap.String("audience", o.Audience),
		zap.Int("attempt", o.Attempts))
}

// release hands a claimed row back unsent, due at once: the dispatcher
// stops, or the row's lease is running out.
func (d *Dispatcher) release(ctx context.Context, o store.Outgoing, cause error) {
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	log := d.logger(o)
	log.Info("notification handed back unsent", zap.Error(cause))
	if err := d.Store.MarkRetry(mctx, o, 0, "handed back: "+cause.Error()); err != nil {
		log.Warn("cannot hand the notification back; it is retried after its lease", zap.Error(err))
	}
	d.result(o.Message, OutcomeRetry)
}

func (d *Dispatcher) result(message, outcome string) {
	if d.OnResult != nil {
		d.OnResult(message, outcome)
	}
}

// retry is an exponential backoff with jitter for reconnections.
type retry struct {
	min, max, cur time.Duration
}

func newRetry(lo, hi time.Duration) *retry { return &retry{min: lo, max: hi} }

func (r *retry) reset() { r.cur = 0 }

func (r *retry) next() time.Duration {
	if r.cur == 0 {
		r.cur = r.min
	} else {
		r.cur = min(2*r.cur, r.max)
	}
	return r.cur/2 + rand.N(r.cur/2+1)
}
