// Package temporalclient makes the options of every Temporal client housecall
// dials — worker, API, `housecall dev`, bench — from the configuration: the
// address and namespace, TLS and API key for a real cluster, and the
// converters that encrypt payloads and failures (codec).
package temporalclient

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/internal/logging"
)

// Options are the client options of cfg.
func Options(cfg *config.Config, log *zap.Logger) client.Options {
	o := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    logging.Temporal(log.Named("temporal")),
	}
	o.DataConverter, o.FailureConverter = codec.Converters(cfg.Codec)
	if cfg.TemporalTLS != nil {
		o.ConnectionOptions.TLS = cfg.TemporalTLS.Clone()
	}
	if cfg.TemporalAPIKey != "" {
		o.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return o
}

// Dial connects to Temporal with Options(cfg, log).
func Dial(ctx context.Context, cfg *config.Config, log *zap.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, Options(cfg, log))
	if err != nil {
		return nil, fmt.Errorf("temporal.address %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}
