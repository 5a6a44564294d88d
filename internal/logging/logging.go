// Package logging builds housecall's zap loggers and adapts them for the
// Temporal SDK, so that every line is structured and carries its request id
// (the SDK adds WorkflowID — the request id — to workflow and activity lines).
package logging

import (
	"fmt"

	sdklog "go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New builds a logger; format is "json" or "console".
func New(level, format string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	var cfg zap.Config
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
	} else {
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.TimeKey = "ts"
		cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	return cfg.Build()
}

// Temporal adapts a zap logger to the Temporal SDK's logger.
func Temporal(l *zap.Logger) sdklog.Logger {
	return temporalLogger{l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

type temporalLogger struct{ s *zap.SugaredLogger }

func (t temporalLogger) Debug(msg string, kv ...any) { t.s.Debugw(msg, kv...) }
func (t temporalLogger) Info(msg string, kv ...any)  { t.s.Infow(msg, kv...) }
func (t temporalLogger) Warn(msg string, kv ...any)  { t.s.Warnw(msg, kv...) }
func (t temporalLogger) Error(msg string, kv ...any) { t.s.Errorw(msg, kv...) }

func (t temporalLogger) With(kv ...any) sdklog.Logger { return temporalLogger{t.s.With(kv...)} }
