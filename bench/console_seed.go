package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// Seeding the console's lists. Running 10,000 workflows would take the
// whole bench's budget and measure nothing more for the lists, which read
// PostgreSQL only: each request is one step written by store.Commit — the
// same transaction a workflow's Commit activity runs — with the projection a
// request in that status has (customer, product, engineer, appointment,
// what it waits for and its clocks, some of them overdue) and a timeline
// entry. The board day's appointments are booked through store.Book, the
// calendar the workflows book through. No Temporal history exists behind
// these rows.

var seedRegions = []string{"north", "south", "east", "west", "central"}

// statusMix is how a service department's 10,000 requests spread over the
// statuses: most are done, a tenth wait for an appointment or are booked.
var statusMix = []struct {
	status sop.Status
	weight int
}{
	{sop.StatusClosed, 420}, {sop.StatusCancelled, 30}, {sop.StatusVerifying, 40}, {sop.StatusTriage, 50},
	{sop.StatusConsulting, 30}, {sop.StatusAwaitingParts, 30}, {sop.StatusScheduling, 90}, {sop.StatusAwaitingCustomer, 20},
	{sop.StatusScheduled, 140}, {sop.StatusEnRoute, 20}, {sop.StatusAtDoor, 10}, {sop.StatusInService, 20},
	{sop.StatusWorkshop, 20}, {sop.StatusFollowup, 80},
}

type seeded struct {
	SeedResult
	region string // a region to filter by
	phone  string // a customer's phone to search for
	liveID string // a seeded request the live-update bench commits steps for
	// engineer has appointments on the board day (an engineer's day).
	engineer string
}

// seedPhone is the phone number of seeded request i.
func seedPhone(i int) string { return fmt.Sprintf("139%08d", 10000000+i*7919%90000000) }

// seedConsole fills PostgreSQL for the console's lists.
func (e *env) seedConsole(ctx context.Context, cc ConsoleConfig) (seeded, error) {
	began := time.Now()
	out := seeded{region: seedRegions[0]}
	out.ByStatus = map[sop.Status]int{}
	out.Requests, out.Engineers, out.Regions = cc.Requests, cc.Engineers, len(seedRegions)
	out.How = "store.Commit of one step per request (the projection, pending events and clocks, a timeline entry) with no workflow " +
		"behind it; the board day's appointments booked through store.Book; the lists read PostgreSQL only"
	loc := e.policy.Location()
	now := time.Now().In(loc)
	// The board's day: the day after tomorrow in the service area, so every
	// appointment on it is still ahead.
	day := time.Date(now.Year(), now.Month(), now.Day()+2, 0, 0, 0, 0, loc)
	out.BoardDay = day.Format("2006-01-02")

	engineers := make([]store.Engineer, cc.Engineers)
	for i := range engineers {
		engineers[i] = store.Engineer{ID: fmt.Sprintf("CE-%02d", i+1), Name: fmt.Sprintf("工程师 Engineer %02d", i+1),
			Region: seedRegions[i%len(seedRegions)], TravelMinutes: 10 + 5*(i%5), Active: true}
		if _, err := e.store.UpsertEngineer(ctx, engineers[i]); err != nil {
			return out, err
		}
	}

	// The board day: appointments every 90 minutes from 08:00 to 17:00 (travel
	// of at most 30 minutes fits between them)
	// for each engineer, held by the first "scheduled" requests.
	type slot struct {
		eng        store.Engineer
		start, end time.Time
	}
	var slots []slot
	for _, eg := range engineers {
		for h := 8 * time.Hour; h+time.Hour <= 18*time.Hour; h += 90 * time.Minute {
			slots = append(slots, slot{eg, day.Add(h), day.Add(h + time.Hour)})
		}
	}

	total := 0
	for _, m := range statusMix {
		total += m.weight
	}
	rng := rand.New(rand.NewPCG(11, 2026))
	inputs := make([]workflows.CommitInput, cc.Requests)
	books := map[int]slot{}
	nextSlot := 0
	for i := range inputs {
		// Deterministic, varied: status by weight, region, engineer, age.
		w := rng.IntN(total)
		status := statusMix[0].status
		for _, m := range statusMix {
			if w < m.weight {
				status = m.status
				break
			}
			w -= m.weight
		}
		out.ByStatus[status]++
		created := now.Add(-time.Duration(rng.IntN(90*24*60)) * time.Minute)
		if status != sop.StatusClosed && status != sop.StatusCancelled {
			created = now.Add(-time.Duration(rng.IntN(5*24*60)) * time.Minute)
		}
		region := seedRegions[rng.IntN(len(seedRegions))]
		eng := ""
		var appt *sop.Window
		switch status {
		case sop.StatusVerifying, sop.StatusTriage, sop.StatusConsulting, sop.StatusAwaitingParts, sop.StatusScheduling, sop.StatusCancelled:
		default:
			eg := engineers[rng.IntN(len(engineers))]
			eng, region = eg.ID, eg.Region
			if status == sop.StatusScheduled && nextSlot < len(slots) {
				s := slots[nextSlot]
				nextSlot++
				books[i] = s
				eng, region = s.eng.ID, s.eng.Region
				appt = &sop.Window{Start: s.start.UTC(), End: s.end.UTC()}
			} else {
				start := now.Truncate(time.Hour).Add(time.Duration(rng.IntN(7*24)-24) * time.Hour)
				appt = &sop.Window{Start: start.UTC(), End: start.Add(time.Hour).UTC()}
			}
		}
		if status == sop.StatusClosed || status == sop.StatusFollowup {
			appt = nil
		}
		id := fmt.Sprintf("R-%s-%05d", created.Format("0102"), i)
		p := workflows.Projection{
			Kind:   []sop.RequestKind{sop.KindRepair, sop.KindRepair, sop.KindRepair, sop.KindReturn, sop.KindInstallationGuidance}[i%5],
			Status: status,
			Customer: sop.Customer{Name: fmt.Sprintf("客户 %d", i), Phone: seedPhone(i),
				Address: fmt.Sprintf("%s 区 %d 号 <Unit %d> & Co.", region, 1+i%300, i%40), Region: region, Lang: []string{"zh", "en"}[i%2]},
			Product:     sop.Product{Model: fmt.Sprintf("HC-%d", 100+i%12), Serial: fmt.Sprintf("SN%07d", i), PurchaseDate: created.AddDate(0, -1-i%30, 0).Format("2006-01-02")},
			Symptoms:    []string{"does not start", "leaks water", "noisy fan", "error E4 on the display", "door will not close"}[i%5],
			Engineer:    eng,
			Appointment: appt,
			Visits:      map[bool]int{true: 1, false: 0}[status == sop.StatusClosed || status == sop.StatusFollowup || status == sop.StatusWorkshop],
			Warranty:    []string{"in", "in", "out"}[i%3],
			Pending:     seedPending(status, appt, now, rng),
		}
		for _, w := range p.Pending {
			if w.At != nil && w.At.Before(now) {
				out.Overdue++
				break
			}
		}
		if i == 0 {
			out.phone = p.Customer.Phone
		}
		updated := created.Add(time.Duration(rng.IntN(120)) * time.Minute)
		if updated.After(now) {
			updated = now
		}
		inputs[i] = workflows.CommitInput{RequestID: id, Seq: 1, At: updated.UTC(), Projection: p,
			Entries: []workflows.Entry{{At: updated.UTC(), Kind: sop.KindRequestStarted, Rule: sop.R1_1, Actor: "callcentre",
				Detail: "request registered: " + p.Symptoms}}}
	}
	// The live-update bench commits steps for a request of the queue.
	out.liveID = inputs[len(inputs)-1].RequestID
	out.engineer = engineers[0].ID

	// The seed is set-up, not measured: its own pool, without waiting for
	// each transaction's WAL flush.
	fast, err := store.Open(ctx, withParams(e.dbURL, "pool_max_conns=16", "synchronous_commit=off"))
	if err != nil {
		return out, err
	}
	defer fast.Close()
	_, _, err = runConcurrently(ctx, len(inputs), 16, func(int) {}, func(ctx context.Context, i int) error {
		in := inputs[i]
		if s, ok := books[i]; ok {
			res, err := fast.Book(ctx, workflows.BookInput{RequestID: in.RequestID, Key: in.RequestID + "/seed", Region: s.eng.Region,
				Start: s.start, End: s.end, Only: s.eng.ID})
			if err != nil {
				return err
			}
			if res.Outcome != workflows.Booked {
				return fmt.Errorf("book %s for %s: %s (%s)", s.eng.ID, in.RequestID, res.Outcome, res.Reason)
			}
		}
		_, err := fast.Commit(ctx, in)
		return err
	})
	if err != nil {
		return out, err
	}
	// What the pages were measured against, as PostgreSQL holds it.
	if err := e.store.Pool.QueryRow(ctx, `SELECT count(*) FROM requests`).Scan(&out.Requests); err != nil {
		return out, err
	}
	if err := e.store.Pool.QueryRow(ctx, `SELECT count(*) FROM appointments WHERE status = 'booked' AND starts_at >= $1 AND starts_at < $2`,
		day, day.AddDate(0, 0, 1)).Scan(&out.Appointments); err != nil {
		return out, err
	}
	out.Seconds = time.Since(began).Seconds()
	return out, nil
}

// seedPending is what a request in status waits for: the events of its
// status (workflows.State.pending) and its clocks, some already overdue.
func seedPending(status sop.Status, appt *sop.Window, now time.Time, rng *rand.Rand) []workflows.Pending {
	at := func(t time.Time) *time.Time { u := t.UTC(); return &u }
	// A clock due from 3 hours ago to 21 hours ahead: about one in eight overdue.
	due := func() *time.Time { return at(now.Add(time.Duration(rng.IntN(24*60)-180) * time.Minute)) }
	ev := func(t sop.EventType, r sop.Rule) workflows.Pending { return workflows.Pending{Event: t, Rule: r} }
	clock := func(name string, t *time.Time, r sop.Rule) workflows.Pending {
		return workflows.Pending{Clock: name, At: t, Rule: r}
	}
	var p []workflows.Pending
	switch status {
	case sop.StatusVerifying:
		p = append(p, ev(sop.EvInfoVerified, sop.R1_2), clock("verify_timeout", due(), sop.R1_2))
	case sop.StatusTriage:
		p = append(p, ev(sop.EvTriaged, sop.R2_1))
		if rng.IntN(4) == 0 {
			p = []workflows.Pending{ev(sop.EvHQAnswer, sop.R2_4), clock("hq_answer_due", due(), sop.R2_4)}
		}
	case sop.StatusConsulting:
		p = append(p, ev(sop.EvFollowupResult, sop.R2_2), clock("followup_due", due(), sop.R2_2))
	case sop.StatusAwaitingParts:
		p = append(p, ev(sop.EvPartsReserved, sop.R2_3))
	case sop.StatusScheduling, sop.StatusWorkshop:
		p = append(p, ev(sop.EvAppointmentRequested, sop.R4_1))
		if rng.IntN(3) == 0 {
			p = append(p, clock("call_again", due(), sop.R4_3))
		}
	case sop.StatusAwaitingCustomer:
		p = append(p, ev(sop.EvAppointmentAnswer, sop.R4_1))
	case sop.StatusScheduled:
		p = append(p, ev(sop.EvDeparted, sop.R5_2))
		if appt != nil {
			p = append(p, clock("departure_plan", at(appt.Start.Add(-2*time.Hour)), sop.R12_1), clock("departure_reminder", at(appt.Start.Add(-45*time.Minute)), sop.R5_2))
		}
	case sop.StatusEnRoute:
		p = append(p, ev(sop.EvArrived, sop.R6_4))
		if appt != nil {
			p = append(p, clock("late_notice", at(appt.Start), sop.R6_5))
		}
	case sop.StatusAtDoor:
		p = append(p, ev(sop.EvKnocked, sop.R6_2), clock("knock_prompt", at(now.Add(time.Duration(rng.IntN(240)-60)*time.Second)), sop.R6_3))
	case sop.StatusInService:
		p = append(p, ev(sop.EvDiagnosed, sop.R7_1), ev(sop.EvCompleted, sop.R8_1))
	case sop.StatusFollowup:
		p = append(p, ev(sop.EvFollowupCall, sop.R9_1), clock("followup_due", due(), sop.R9_1))
		if rng.IntN(2) == 0 {
			p = append(p, ev(sop.EvCardReturned, sop.R10_1), clock("card_due", due(), sop.R10_1))
		}
	}
	// One in twenty open or closed requests has an open complaint: the
	// 12-hour clock (R11.1).
	if status != sop.StatusCancelled && rng.IntN(20) == 0 {
		p = append(p, ev(sop.EvComplaintAnswered, sop.R11_1), clock("complaint_due", at(now.Add(time.Duration(rng.IntN(14*60)-120)*time.Minute)), sop.R11_1))
	}
	return p
}

// withParams adds query parameters to a postgres:// URL.
func withParams(url string, params ...string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + strings.Join(params, "&")
}
