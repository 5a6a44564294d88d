package devserver

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Server lifecycle phases, as seen by the server logger.
const (
	phaseStarting int32 = iota
	phaseRunning
	phaseStopping // also after Stop: stray server goroutines may still log
)

// newServerLogger adapts o.Logger for the Temporal server: warn and above
// unless debug, nothing when base is nil.
//
// Without debug, logs are dropped once Stop begins: shutting down makes the
// server (and the SDK workers it runs internally, some of which outlive Stop)
// log a burst of "context canceled" errors and failed polls that mean nothing.
//
// Fatal logs exit the process while the server runs (as the server expects),
// but while starting or stopping they panic with a *serverFatal that Start and
// Stop turn into an error.
func newServerLogger(base *zap.Logger, debug bool, phase *atomic.Int32) log.Logger {
	var zl *zap.Logger
	if base == nil {
		// Discard everything, but stay enabled at fatal level: the server's
		// zap adapter only calls Fatal (and so our hook) when it is enabled.
		zl = zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zapcore.EncoderConfig{}), zapcore.AddSync(io.Discard), zapcore.FatalLevel))
	} else {
		zl = base
		if !debug {
			zl = zl.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
				return &gatedCore{Core: c, phase: phase}
			}))
		}
	}
	return log.NewZapLogger(zl.WithOptions(zap.WithFatalHook(fatalHook{phase: phase})))
}

// gatedCore passes warn and above, and only fatal once the server is stopping.
type gatedCore struct {
	zapcore.Core
	phase *atomic.Int32
}

func (c *gatedCore) min() zapcore.Level {
	if c.phase.Load() >= phaseStopping {
		return zapcore.FatalLevel
	}
	return zapcore.WarnLevel
}

func (c *gatedCore) Enabled(l zapcore.Level) bool { return l >= c.min() && c.Core.Enabled(l) }

func (c *gatedCore) With(fields []zapcore.Field) zapcore.Core {
	return &gatedCore{Core: c.Core.With(fields), phase: c.phase}
}

func (c *gatedCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if e.Level < c.min() {
		return ce
	}
	return c.Core.Check(e, ce)
}

type fatalHook struct{ phase *atomic.Int32 }

func (h fatalHook) OnWrite(ce *zapcore.CheckedEntry, fields []zapcore.Field) {
	if h.phase.Load() != phaseRunning {
		panic(newServerFatal(ce.Message, fields))
	}
	os.Exit(1) // zap's default fatal behaviour
}

// serverFatal is a fatal server log seen while starting or stopping.
type serverFatal struct {
	msg     string
	details []string
	cause   error
}

func newServerFatal(msg string, fields []zapcore.Field) *serverFatal {
	f := &serverFatal{msg: msg}
	for _, fld := range fields {
		switch {
		case fld.Type == zapcore.ErrorType:
			if err, ok := fld.Interface.(error); ok && err != nil {
				f.cause = err
			}
		case fld.Type == zapcore.StringType && fld.Key != "logging-call-at":
			f.details = append(f.details, fld.Key+"="+fld.String)
		}
	}
	return f
}

func (f *serverFatal) Error() string {
	s := "temporal server: " + f.msg
	if len(f.details) > 0 {
		s += " (" + strings.Join(f.details, ", ") + ")"
	}
	if f.cause != nil {
		s += ": " + f.cause.Error()
	}
	return s
}

func (f *serverFatal) Unwrap() error { return f.cause }

// recoverServerPanic converts a panic (a *serverFatal or anything else raised
// by the server) into an error stored in *err; use as a deferred call.
func recoverServerPanic(what string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if f, ok := r.(*serverFatal); ok {
		*err = f
		return
	}
	if e, ok := r.(error); ok {
		*err = fmt.Errorf("temporal server panicked while %s: %w", what, e)
		return
	}
	*err = fmt.Errorf("temporal server panicked while %s: %v", what, r)
}
