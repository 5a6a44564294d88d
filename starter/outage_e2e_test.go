package starter_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store/storetest"
)

// outage is how long the database is down in TestDatabaseOutage: 20 s in
// make test (beyond the 16 s that used to fail requests), 60 s in make
// chaos (HOUSECALL_OUTAGE=60s).
func outage(t *testing.T) time.Duration {
	if s := os.Getenv("HOUSECALL_OUTAGE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("HOUSECALL_OUTAGE: %v", err)
		}
		return d
	}
	return 20 * time.Second
}

// A PostgreSQL outage under load kills no request and loses nothing: steps
// decided while the database is down wait (the request's state shows the
// step being written, the worker's metrics count it), are written when it
// is back, and every request then carries on to the end of its door
// protocol; PostgreSQL and the histories agree (the environment's final
// audit check). Clocks that fell due meanwhile fire once it is back.
func TestDatabaseOutage(t *testing.T) {
	down := outage(t)
	cluster := storetest.NewCluster(t)
	p := sop.DefaultPolicy()
	p.KnockInterval = sop.D(time.Second)
	p.CallAfter = sop.D(4 * time.Second)
	// The engineers knock at once, up to a day before the appointment: the
	// door may be knocked on up to sop.door_early before it (R6.4).
	p.DoorEarly = sop.D(48 * time.Hour)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, AdminURL: cluster.AdminURL(), Engineers: []string{"E-1", "E-2", "E-3"}})
	for _, e := range []string{"E-1", "E-2", "E-3"} {
		env.AddEngineer(e, "south", 0)
	}
	const n = 6
	ids := make([]string, n)
	base := time.Now().UTC().Truncate(time.Hour).Add(26 * time.Hour)
	engineer := map[string]string{}
	for i := range n {
		var s state
		env.Call("callcentre", "POST", "/v1/requests", body(housecalltest.Fmt("SR-OUTAGE-%d", i)), 201, &s)
		ids[i] = s.ID
		env.MustEvent("callcentre", s.ID, map[string]any{"type": "triaged", "category": "quality"})
		start := base.Add(time.Duration(i/3) * 3 * time.Hour)
		v := env.MustEvent("callcentre", s.ID, map[string]any{"type": "appointment_requested", "start": start, "end": start.Add(time.Hour)})
		engineer[s.ID] = v["engineer"].(string)
		env.MustEvent("engineer:"+engineer[s.ID], s.ID, map[string]any{"type": "departed"})
		env.MustEvent("engineer:"+engineer[s.ID], s.ID, map[string]any{"type": "arrived"})
	}

	// The database goes away; engineers keep knocking.
	cluster.Stop()
	stopped := time.Now()
	var wg sync.WaitGroup
	answers := make([]int, n)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A caller whose wait runs out retries with the same
			// Idempotency-Key and gets the event's real outcome.
			key := "knock-" + id
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				res, err := env.As("engineer:"+engineer[id]).SendEvent(ctx, id, []byte(`{"type":"knocked","answered":false}`), key)
				cancel()
				if err == nil && res.Status != 504 {
					answers[i] = res.Status
					return
				}
				time.Sleep(time.Second)
			}
		}()
	}
	// The requests are alive and say what they wait for.
	env.Eventually(15*time.Second, "requests showing a step waiting for the database", func() bool {
		waiting := 0
		for _, id := range ids {
			if w, ok := env.State(id)["writing"].(map[string]any); ok && w["step"] != nil {
				waiting++
			}
		}
		return waiting == n
	})
	env.Eventually(15*time.Second, "the worker's metrics counting steps waiting", func() bool {
		return gauge(t, env, "housecall_steps_waiting") >= 1
	})
	time.Sleep(time.Until(stopped.Add(down)))
	cluster.Start()
	t.Logf("database back after %s", time.Since(stopped).Round(time.Second))

	wg.Wait() // every knock answered, once the database took its step
	for i, st := range answers {
		if st != 200 {
			t.Errorf("%s: the knock during the outage answered %d", ids[i], st)
		}
	}
	// Each request carries on: the door protocol runs to the call and the note.
	for _, id := range ids {
		env.Eventually(90*time.Second, id+": the call to the customer", func() bool {
			return count(timeline(env, id), "call_customer") == 1
		})
		env.MustEvent("engineer:"+engineer[id], id, map[string]any{"type": "call_result", "answered": false})
		v := env.MustEvent("engineer:"+engineer[id], id, map[string]any{"type": "note_left"})
		if v["status"] != "scheduling" {
			t.Fatalf("%s after the note: %v", id, v["status"])
		}
		d, err := env.Temporal.DescribeWorkflowExecution(t.Context(), id, "")
		if err != nil {
			t.Fatal(err)
		}
		if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t.Fatalf("%s: workflow %s", id, st)
		}
	}
	env.Eventually(60*time.Second, "no step waiting any more", func() bool {
		return gauge(t, env, "housecall_steps_waiting") == 0
	})
	if failures := counter(t, env, "housecall_step_write_failures_total"); failures == 0 {
		t.Fatal("no failed write counted during the outage")
	}
}

func gauge(t *testing.T, env *housecalltest.Env, name string) float64 {
	for _, m := range metric(t, env, name) {
		return m.GetGauge().GetValue()
	}
	return 0
}

func counter(t *testing.T, env *housecalltest.Env, name string) float64 {
	sum := 0.0
	for _, m := range metric(t, env, name) {
		sum += m.GetCounter().GetValue()
	}
	return sum
}

func metric(t *testing.T, env *housecalltest.Env, name string) []*dto.Metric {
	fams, err := env.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}
