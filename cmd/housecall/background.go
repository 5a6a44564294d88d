package main

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/worker"
)

// ensureBackground prepares the namespace for housecall (idempotent).
func ensureBackground(ctx context.Context, cfg *config.Config, c client.Client, log *zap.Logger) error {
	if err := worker.Setup(ctx, c, cfg.TemporalNamespace); err != nil {
		return err
	}
	log.Debug("namespace ready", zap.String("namespace", cfg.TemporalNamespace))
	return nil
}
