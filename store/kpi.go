package store

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// KPIs of the service (console /kpi), computed from the records alone, over
// the requests created in a date range:
//
//   - first-time fix: a closed request with exactly one visit (service
//     record), and the customer satisfied at it; the rate is over the closed
//     requests that had a visit;
//   - re-visits per request: visits beyond the first, over the requests
//     that had a visit;
//   - time to schedule: request created → its first appointment_booked
//     timeline entry; time to complete: created → its first closed entry
//     (mean and p90);
//   - complaints answered within sop.complaint_response: complaint entries
//     whose first complaint_answered entry came within it;
//   - falsification flags: rows of reconciliation_flags (R10.2);
//   - compliance per rule: the verdict cache (verdicts.go), judged verdicts
//     only.
//
// A request belongs to its region and to the engineer of its first visit
// (the engineer assigned, before any visit; "" none).

// KPIFilter chooses the requests.
type KPIFilter struct {
	From, To time.Time
	// ComplaintWithin is sop.complaint_response.
	ComplaintWithin time.Duration
}

// KPIGroup holds the figures of a group of requests (all, a region, an engineer).
type KPIGroup struct {
	Key          string
	Requests     int
	ClosedVisits int // closed requests that had at least one visit
	FirstTimeFix int
	Visited      int // requests with at least one visit
	Revisits     int
	ScheduleN    int
	ScheduleMean time.Duration
	ScheduleP90  time.Duration
	CompleteN    int
	CompleteMean time.Duration
	CompleteP90  time.Duration
	Complaints   int
	ComplaintsOK int // answered within sop.complaint_response
	Flags        int
	// Met and Breached count the judged verdicts of every rule; Rules per rule.
	Met, Breached int
	Rules         map[string]RuleCompliance
}

// FTF is the first-time-fix rate (0–1), or -1 with no closed visited request.
func (g KPIGroup) FTF() float64 { return ratio(g.FirstTimeFix, g.ClosedVisits) }

// RevisitsPerRequest is re-visits per visited request, or -1.
func (g KPIGroup) RevisitsPerRequest() float64 { return ratio(g.Revisits, g.Visited) }

// ComplaintRate is the share of complaints answered in time, or -1.
func (g KPIGroup) ComplaintRate() float64 { return ratio(g.ComplaintsOK, g.Complaints) }

// ComplianceRate is met / (met + breached) over every rule, or -1.
func (g KPIGroup) ComplianceRate() float64 { return ratio(g.Met, g.Met+g.Breached) }

func ratio(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}

// KPIReport is the KPIs of all the requests, per region and per engineer.
type KPIReport struct {
	All       KPIGroup
	Regions   []KPIGroup
	Engineers []KPIGroup
}

const kpiFacts = `WITH facts AS (
  SELECT r.id, r.seq, COALESCE(r.region, '') AS region,
    COALESCE(fv.engineer_id, r.engineer_id, '') AS engineer,
    r.status = 'closed' AS closed,
    COALESCE(sv.n, 0) AS visits,
    COALESCE(fv.satisfied, false) AS first_satisfied,
    (SELECT min(t.at) FROM timeline t WHERE t.request_id = r.id AND t.kind = 'appointment_booked') - r.created_at AS to_schedule,
    (SELECT min(t.at) FROM timeline t WHERE t.request_id = r.id AND t.kind = 'closed') - r.created_at AS to_complete,
    (SELECT count(*) FROM timeline c WHERE c.request_id = r.id AND c.kind = 'complaint') AS complaints,
    (SELECT count(*) FROM timeline c WHERE c.request_id = r.id AND c.kind = 'complaint'
       AND (SELECT min(a.at) FROM timeline a WHERE a.request_id = r.id AND a.kind = 'complaint_answered' AND a.at >= c.at)
           <= c.at + $3::interval) AS complaints_ok,
    (SELECT count(*) FROM reconciliation_flags f WHERE f.request_id = r.id) AS flags
  FROM requests r
  LEFT JOIN LATERAL (SELECT count(*) AS n FROM service_records s WHERE s.request_id = r.id) sv ON true
  LEFT JOIN LATERAL (SELECT s.engineer_id, s.satisfied FROM service_records s WHERE s.request_id = r.id
                     ORDER BY s.visit LIMIT 1) fv ON true
  WHERE r.created_at >= $1 AND r.created_at < $2
)`

// KPIs computes the KPIs of the requests created in [From, To).
func (s *Store) KPIs(ctx context.Context, f KPIFilter) (KPIReport, error) {
	within := fmt.Sprintf("%d microseconds", f.ComplaintWithin.Microseconds())
	rows, err := s.Pool.Query(ctx, kpiFacts+`
SELECT GROUPING(region)::int, GROUPING(engineer)::int, COALESCE(region, ''), COALESCE(engineer, ''),
  count(*),
  count(*) FILTER (WHERE closed AND visits >= 1),
  count(*) FILTER (WHERE closed AND visits = 1 AND first_satisfied),
  count(*) FILTER (WHERE visits >= 1),
  COALESCE(sum(greatest(visits - 1, 0)), 0)::int,
  count(to_schedule),
  avg(extract(epoch FROM to_schedule)::float8),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM to_schedule)::float8),
  count(to_complete),
  avg(extract(epoch FROM to_complete)::float8),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM to_complete)::float8),
  COALESCE(sum(complaints), 0)::int, COALESCE(sum(complaints_ok), 0)::int, COALESCE(sum(flags), 0)::int
FROM facts GROUP BY GROUPING SETS ((), (region), (engineer))`, f.From, f.To, within)
	if err != nil {
		return KPIReport{}, fmt.Errorf("kpis: %w", err)
	}
	rep := KPIReport{}
	regions, engineers := map[string]*KPIGroup{}, map[string]*KPIGroup{}
	for rows.Next() {
		var (
			gRegion, gEngineer       int
			region, engineer         string
			g                        KPIGroup
			sMean, sP90, cMean, cP90 *float64
		)
		if err := rows.Scan(&gRegion, &gEngineer, &region, &engineer, &g.Requests, &g.ClosedVisits, &g.FirstTimeFix,
			&g.Visited, &g.Revisits, &g.ScheduleN, &sMean, &sP90, &g.CompleteN, &cMean, &cP90,
			&g.Complaints, &g.ComplaintsOK, &g.Flags); err != nil {
			rows.Close()
			return KPIReport{}, fmt.Errorf("kpis: %w", err)
		}
		g.ScheduleMean, g.ScheduleP90, g.CompleteMean, g.CompleteP90 = secs(sMean), secs(sP90), secs(cMean), secs(cP90)
		g.Rules = map[string]RuleCompliance{}
		switch {
		case gRegion == 1 && gEngineer == 1:
			rep.All = g
		case gRegion == 0:
			g.Key = region
			regions[region] = &g
		default:
			g.Key = engineer
			engineers[engineer] = &g
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return KPIReport{}, fmt.Errorf("kpis: %w", err)
	}
	if rep.All.Rules == nil {
		rep.All.Rules = map[string]RuleCompliance{}
	}

	// Compliance per rule, from the verdicts judged at each request's last step.
	rows, err = s.Pool.Query(ctx, kpiFacts+`
SELECT GROUPING(region)::int, GROUPING(engineer)::int, COALESCE(region, ''), COALESCE(engineer, ''), v.rule,
  count(*) FILTER (WHERE v.status = 'met'), count(*) FILTER (WHERE v.status = 'breached'),
  count(*) FILTER (WHERE v.status = 'not_applicable')
FROM facts JOIN verdicts v ON v.request_id = facts.id AND v.seq >= facts.seq
GROUP BY GROUPING SETS ((v.rule), (region, v.rule), (engineer, v.rule))`, f.From, f.To, within)
	if err != nil {
		return KPIReport{}, fmt.Errorf("kpi compliance: %w", err)
	}
	for rows.Next() {
		var (
			gRegion, gEngineer int
			region, engineer   string
			c                  RuleCompliance
		)
		if err := rows.Scan(&gRegion, &gEngineer, &region, &engineer, &c.Rule, &c.Met, &c.Breached, &c.NotApplicable); err != nil {
			rows.Close()
			return KPIReport{}, fmt.Errorf("kpi compliance: %w", err)
		}
		var g *KPIGroup
		switch {
		case gRegion == 1 && gEngineer == 1:
			g = &rep.All
		case gRegion == 0:
			g = regions[region]
		default:
			g = engineers[engineer]
		}
		if g == nil {
			continue
		}
		g.Rules[c.Rule] = c
		g.Met += c.Met
		g.Breached += c.Breached
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return KPIReport{}, fmt.Errorf("kpi compliance: %w", err)
	}
	rep.Regions, rep.Engineers = sorted(regions), sorted(engineers)
	return rep, nil
}

func sorted(m map[string]*KPIGroup) []KPIGroup {
	out := make([]KPIGroup, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func secs(f *float64) time.Duration {
	if f == nil || math.IsNaN(*f) {
		return 0
	}
	return time.Duration(*f * float64(time.Second)).Round(time.Second)
}
