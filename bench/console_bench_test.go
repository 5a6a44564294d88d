package bench

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/housecall/housecall/store/storetest"
)

// BenchmarkConsole is the console phase of `make bench` as Go benchmarks,
// for profiling one part (-cpuprofile) without the whole bench:
//
//	go test -run '^$' -bench BenchmarkConsole -benchtime 200x ./bench/
//
// It seeds 10,000 requests (1,000 with -short) once, then loads each page
// b.N times through the real HTTP handler, and times live updates until
// the request's id arrives on an open GET /live. A page that does not
// answer 200 fails its sub-benchmark. Targets are the bench's (p99 ≤ 50 ms
// for the lists, ≤ 1 s for a live update): read ns/op and the reported
// p99-ms here, nothing is asserted on time.
func BenchmarkConsole(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cc := DefaultConsoleConfig()
	if testing.Short() {
		cc.Requests = 1000
	}
	e, err := startEnv(ctx, envOptions{persistence: "sqlite", adminDB: storetest.AdminURL(), inProcess: true, queue: "housecall-console", console: true})
	if err != nil {
		b.Fatal(err)
	}
	defer e.close()
	<-e.console.Ready()
	centre, err := e.signIn(ctx, "callcentre")
	if err != nil {
		b.Fatal(err)
	}
	seed, err := e.seedConsole(ctx, cc)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d requests, %d appointments on %s", seed.Requests, seed.Appointments, seed.BoardDay)
	hour := 0
	slot := func() time.Time {
		hour++
		return time.Now().UTC().Truncate(time.Hour).Add(time.Duration(48+hour) * time.Hour)
	}

	for _, p := range []struct{ name, path string }{
		{"centre", pathCentre},
		{"centre_overdue", pathCentre + "?overdue=1"},
		{"centre_search_phone", pathCentre + "?q=" + url.QueryEscape(seed.phone)},
		{"board", pathBoard + "?day=" + seed.BoardDay},
	} {
		b.Run(p.name, func(b *testing.B) {
			samples := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				status, body, err := e.get(ctx, centre, p.path)
				if err != nil {
					b.Fatal(err)
				}
				if status != http.StatusOK {
					b.Fatalf("GET %s answered %d, not 200: %s", p.path, status, excerpt(body))
				}
				samples = append(samples, time.Since(start))
			}
			_, p99, _ := quantiles(samples)
			b.ReportMetric(p99, "p99-ms")
		})
	}
	for _, from := range []string{"store_commit", "api_event"} {
		b.Run("live_"+from, func(b *testing.B) {
			l := e.liveLatency(ctx, centre, from, b.N, seed.liveID, slot)
			if l.Error != "" {
				b.Fatal(l.Error)
			}
			b.ReportMetric(l.P99, "p99-ms")
			b.ReportMetric(l.Max, "max-ms")
		})
	}
}
