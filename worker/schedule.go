package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// ReconcileSchedule describes the daily reconciliation (R10.2).
type ReconcileSchedule struct {
	TaskQueue string
	At        string         // sop.reconcile_at, "HH:MM"
	Zone      *time.Location // sop.timezone
}

// EnsureReconcileSchedule creates the Temporal Schedule that starts the
// Reconcile workflow every day at sop.reconcile_at, or brings an existing one
// to the configured time (idempotent: every worker calls it at start).
func EnsureReconcileSchedule(ctx context.Context, c client.Client, rs ReconcileSchedule) error {
	h, m, err := sop.ParseClock(rs.At)
	if err != nil {
		return fmt.Errorf("sop.reconcile_at: %w", err)
	}
	zone, h, m, offset := scheduleZone(rs.Zone, h, m, time.Now())
	spec := client.ScheduleSpec{
		Calendars: []client.ScheduleCalendarSpec{{
			Hour:    []client.ScheduleRange{{Start: h}},
			Minute:  []client.ScheduleRange{{Start: m}},
			Comment: "R10.2: daily reconciliation of service cards at " + rs.At,
		}},
		TimeZoneName: zone,
	}
	action := &client.ScheduleWorkflowAction{
		ID:        workflows.ReconcileScheduleID,
		Workflow:  workflows.ReconcileWorkflowName,
		Args:      []any{workflows.ReconcileInput{UTCOffsetSeconds: offset}},
		TaskQueue: rs.TaskQueue,
	}
	sc := c.ScheduleClient()
	_, err = sc.Create(ctx, client.ScheduleOptions{
		ID:            workflows.ReconcileScheduleID,
		Spec:          spec,
		Action:        action,
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: 24 * time.Hour, // a server down at reconcile time runs it when back
		Note:          "housecall: compares the day's service cards with what customers confirmed (R10.2)",
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create the reconciliation schedule: %w", err)
	}
	err = sc.GetHandle(ctx, workflows.ReconcileScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &spec
			s.Action = action
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update the reconciliation schedule: %w", err)
	}
	return nil
}

// scheduleZone gives the schedule's time zone for loc. Temporal needs an
// IANA name; "Local" is resolved from TZ or /etc/localtime, and where that
// fails the time is converted to UTC at today's offset.
func scheduleZone(loc *time.Location, h, m int, now time.Time) (zone string, hour, minute, offset int) {
	_, offset = now.In(loc).Zone()
	name := loc.String()
	if name == "Local" {
		name = localZoneName()
	}
	if name != "" && name != "Local" {
		if _, err := time.LoadLocation(name); err == nil {
			return name, h, m, offset
		}
	}
	mins := ((h*60+m-offset/60)%(24*60) + 24*60) % (24 * 60)
	return "UTC", mins / 60, mins % 60, offset
}

func localZoneName() string {
	if tz := os.Getenv("TZ"); tz != "" {
		return strings.TrimPrefix(tz, ":")
	}
	target, err := filepath.EvalSymlinks("/etc/localtime")
	if err != nil {
		return ""
	}
	if _, after, ok := strings.Cut(target, "zoneinfo/"); ok {
		return after
	}
	return ""
}
