package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/housecall/housecall/sop"
)

// ScaleResult is the --scale mode (issue 12): as many booked requests open at
// once as a service department has, each waiting on its timers, on one
// worker process with the small sticky cache; the worker's memory and the
// booking rate along the way, and the HTTP API's lists at that size.
type ScaleResult struct {
	Persistence string `json:"persistence"`
	// MemoryResult is the worker's memory at the end, per open request:
	// Open is how many were to be booked, Cache the sticky cache.
	MemoryResult
	Booked      int `json:"booked"`
	Concurrency int `json:"concurrency"`
	// Seconds is how long booking them took, PerSec at what rate.
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"requests_per_sec"`
	// Checkpoints show how the rate and the memory moved as requests piled up.
	Checkpoints []ScaleCheckpoint `json:"checkpoints"`
	// Lists are the HTTP API's lists over the real requests in PostgreSQL.
	Lists []PageResult `json:"lists,omitempty"`
	Error string       `json:"error,omitempty"`
}

// ScaleCheckpoint is the state of the scale run after Booked requests.
type ScaleCheckpoint struct {
	Booked           int     `json:"booked"`
	Seconds          float64 `json:"seconds"`
	PerSec           float64 `json:"requests_per_sec_since_last"`
	RSSPerRequestKB  float64 `json:"rss_per_request_kb"`
	HeapPerRequestKB float64 `json:"heap_per_request_kb"`
	Goroutines       int     `json:"worker_goroutines"`
	// Slowest is the longest a booking of this stretch took, and which.
	Slowest   float64 `json:"slowest_booking_seconds"`
	SlowestID string  `json:"slowest_booking"`
}

// scaleCheckpoints is how many times the run stops to read the worker's
// memory (and says how far it got).
const scaleCheckpoints = 10

// runScale books cfg.Scale requests through one worker process with the
// small cache, reading its memory every tenth of the way, then times the
// API's lists over them.
func runScale(ctx context.Context, cfg Config, say func(string, ...any)) (*ScaleResult, error) {
	res := &ScaleResult{Persistence: cfg.MemoryPersistence, MemoryResult: MemoryResult{Open: cfg.Scale, Cache: cfg.SmallCache}, Concurrency: cfg.OpenConcurrency}
	e, err := startEnv(ctx, envOptions{persistence: cfg.MemoryPersistence, adminDB: cfg.AdminDB, queue: "housecall-scale"})
	if err != nil {
		return res, err
	}
	defer e.close()
	p, err := startProbe(ProbeOptions{Temporal: e.srv.FrontendAddr(), Namespace: e.srv.Namespace(), Queue: e.queue, DB: e.dbURL,
		CodecKey: e.key.String(), Cache: cfg.SmallCache})
	if err != nil {
		return res, err
	}
	defer func() { _ = p.stop() }()
	if res.Before, err = p.stats(ctx); err != nil {
		return res, err
	}
	// Every engineer takes one visit an hour: the appointments of 100,000
	// requests span 2,000 hours, within the API's year ahead.
	base := time.Now().UTC().Truncate(time.Hour).Add(48 * time.Hour)
	slot := func(i int) time.Time { return base.Add(time.Duration(i/engineers) * time.Hour) }

	// sctx reads the worker after an interrupt too.
	sctx := context.WithoutCancel(ctx)
	var booked atomic.Int64
	began, last, lastN := time.Now(), time.Now(), 0
	step := max(1, cfg.Scale/scaleCheckpoints)
	for lo := 0; lo < cfg.Scale; lo += step {
		hi := min(cfg.Scale, lo+step)
		var (
			mu        sync.Mutex
			slowest   time.Duration
			slowestID string
		)
		_, _, err := runConcurrently(ctx, hi-lo, cfg.OpenConcurrency, func(int) {},
			func(ctx context.Context, i int) error {
				id, t := fmt.Sprintf("SCALE-%d", lo+i), time.Now()
				err := e.openRequest(ctx, id, slot(lo+i))
				if err == nil {
					booked.Add(1)
				}
				mu.Lock()
				if d := time.Since(t); d > slowest {
					slowest, slowestID = d, id
				}
				mu.Unlock()
				return err
			})
		res.Booked = int(booked.Load())
		// Interrupted (Ctrl-C) or failed, the worker is still read: what
		// was booked so far is a measurement too.
		st, serr := p.stats(sctx)
		if serr != nil {
			return res, errors.Join(err, serr)
		}
		now := time.Now()
		c := ScaleCheckpoint{Booked: res.Booked, Seconds: now.Sub(began).Seconds(), PerSec: float64(res.Booked-lastN) / now.Sub(last).Seconds(),
			RSSPerRequestKB: perRequest(res.Before.RSS, st.RSS, res.Booked), HeapPerRequestKB: perRequest(res.Before.HeapAlloc, st.HeapAlloc, res.Booked),
			Goroutines: st.Goroutines, Slowest: slowest.Seconds(), SlowestID: slowestID}
		res.Checkpoints = append(res.Checkpoints, c)
		last, lastN = now, res.Booked
		say("     %d/%d booked in %.0f s (%.1f/s lately, slowest %.1f s: %s); worker %.2f KB heap, %.2f KB RSS per open request, %d goroutines",
			c.Booked, cfg.Scale, c.Seconds, c.PerSec, c.Slowest, c.SlowestID, c.HeapPerRequestKB, c.RSSPerRequestKB, c.Goroutines)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("interrupted after %d booked: %w", res.Booked, context.Cause(ctx))
			}
			res.Error = err.Error()
			break
		}
	}
	res.Seconds = time.Since(began).Seconds()
	if res.Seconds > 0 {
		res.PerSec = float64(res.Booked) / res.Seconds
	}
	if res.After, err = p.stats(sctx); err != nil {
		return res, err
	}
	res.RSSPerRequestKB = perRequest(res.Before.RSS, res.After.RSS, res.Booked)
	res.HeapPerRequestKB = perRequest(res.Before.HeapAlloc, res.After.HeapAlloc, res.Booked)
	if res.Error != "" {
		return res, fmt.Errorf("booking: %s", res.Error)
	}

	// The PostgreSQL side at that size, over the real requests: the call
	// centre's list with each filter, and one engineer's day.
	say("   the HTTP API's lists over %d requests in PostgreSQL", res.Booked)
	api := &session{token: e.tokens["callcentre"]}
	eng, day := "EB-00", slot(0).In(e.policy.Location()).Format(sop.DatePattern)
	for _, pg := range apiListPaths(sop.StatusScheduled, region, eng, day) {
		r := e.measurePage(ctx, api, pg.name, "callcentre (API)", pg.path, 200, TargetListP99)
		e.sayPage(r.PageResult, say)
		res.Lists = append(res.Lists, r.PageResult)
		if r.Error != "" {
			return res, fmt.Errorf("%s: %s", pg.name, r.Error)
		}
	}
	return res, nil
}
