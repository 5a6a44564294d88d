package main

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/worker"
)

// ensureBackground prepares the namespace for housecall and the daily
// reconciliation's schedule (idempotent).
func ensureBackground(ctx context.Context, cfg *config.Config, c client.Client, log *zap.Logger) error {
	if err := worker.Setup(ctx, c, cfg.TemporalNamespace); err != nil {
		return err
	}
	if err := worker.EnsureReconcileSchedule(ctx, c, worker.ReconcileSchedule{
		TaskQueue: cfg.TaskQueue, At: cfg.Policy.ReconcileAt, Zone: cfg.Timezone,
	}); err != nil {
		return err
	}
	log.Debug("namespace and schedules ready", zap.String("namespace", cfg.TemporalNamespace))
	return nil
}
