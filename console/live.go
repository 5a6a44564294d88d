package console

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

// Live updates: every commit of a request's step changes its row in
// requests, whose trigger NOTIFYs housecall_requests with the request id
// (migration 007). One connection per console LISTENs and fans the ids out
// to the open pages over Server-Sent Events (GET /live). When the
// connection is lost it is opened again, and the pages are told to reload
// what they show ("*"), so nothing changed meanwhile is missed.

const liveChannel = "housecall_requests"

// hub fans notifications out to subscribers.
type hub struct {
	store *store.Store
	log   *zap.Logger
	mu    sync.Mutex
	subs  map[chan string]struct{}
	// ready is closed once the first LISTEN is in place (tests wait on it).
	ready     chan struct{}
	readyOnce sync.Once
	// done is closed when the hub stops: open streams end.
	done chan struct{}
}

func newHub(st *store.Store, log *zap.Logger) *hub {
	return &hub{store: st, log: log, subs: map[chan string]struct{}{}, ready: make(chan struct{}), done: make(chan struct{})}
}

// subscribe returns a channel of changed request ids ("*": reload all) and
// its cancel.
func (h *hub) subscribe() (<-chan string, func()) {
	ch := make(chan string, 256)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

func (h *hub) broadcast(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- id:
		default:
			// A page too slow to read: it reloads on its periodic refresh.
		}
	}
}

// run listens until ctx ends, reconnecting with a growing pause.
func (h *hub) run(ctx context.Context) {
	defer close(h.done)
	wait := 500 * time.Millisecond
	for ctx.Err() == nil {
		err := h.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("live updates interrupted; reconnecting", zap.Error(err), zap.Duration("in", wait))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if wait < 10*time.Second {
			wait *= 2
		}
	}
}

func (h *hub) listen(ctx context.Context) error {
	pc, err := h.store.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+liveChannel); err != nil {
		return err
	}
	h.readyOnce.Do(func() { close(h.ready) })
	// Whatever changed while we were not listening: reload.
	h.broadcast("*")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		h.broadcast(n.Payload)
	}
}

// Ready is closed once live updates flow (tests).
func (c *Console) Ready() <-chan struct{} { return c.live.ready }

// serveLive streams changed request ids to a page (text/event-stream):
// "event: request" with the id as data, or "event: reload". An engineer
// hears only of the requests assigned to them.
func (c *Console) serveLive(w http.ResponseWriter, r *http.Request, u *user) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch, cancel := c.live.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\nevent: hello\ndata: ok\n\n")
	fl.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.live.done:
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case id := <-ch:
			if id == "*" {
				fmt.Fprint(w, "event: reload\ndata: *\n\n")
				break
			}
			if u.Role == sop.RoleEngineer {
				row, err := c.opt.Store.GetRequest(r.Context(), id)
				if err != nil || row.Engineer != u.Subject {
					continue
				}
			}
			fmt.Fprintf(w, "event: request\ndata: %s\n\n", id)
		}
		fl.Flush()
	}
}
