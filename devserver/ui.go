package devserver

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"github.com/temporalio/ui-server/v2/server/server_options"
)

// startUI starts the Temporal Web UI on a and waits until it accepts
// connections.
//
// The UI server's Start blocks and exits the process (Logger.Fatal) when it
// cannot listen, and it cannot be handed a listener; so the port is checked
// again immediately before starting (the server start took a while since the
// first check). Only a port taken within that instant still ends the process.
func (s *Server) startUI(ctx context.Context, a *listenAddr) error {
	if a.requested == 0 {
		a.port = 0 // pick a fresh free port rather than re-using the earlier pick
	}
	if err := a.check("UI", s.opts.UIAddr); err != nil {
		return err
	}
	host := a.bindIP
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // the UI server formats "%s:%d"
	}
	cfg := &uiconfig.Config{
		TemporalGRPCAddress: s.frontendAddr,
		Host:                host,
		Port:                a.port,
		EnableUI:            true,
		DefaultNamespace:    s.opts.Namespace,
		HideLogs:            true,
		DisableNewsFetch:    true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		// The browser calls the codec endpoint itself; the token it needs is
		// in the endpoint's path (housecall's /codec/t/TOKEN), so neither
		// the UI's access token nor cookies are sent.
		Codec: uiconfig.Codec{Endpoint: s.opts.CodecEndpoint},
	}
	ui, err := newUIServer(cfg)
	if err != nil {
		return err
	}
	s.ui = ui
	s.uiDone = make(chan struct{})
	go func() {
		defer close(s.uiDone)
		_ = ui.Start() // returns nil once Stop closes it
	}()

	addr := a.dialAddr()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			s.uiURL = "http://" + addr
			return nil
		}
		select {
		case <-s.uiDone:
			return fmt.Errorf("UI server on %s stopped while starting", addr)
		case <-ctx.Done():
			return fmt.Errorf("UI server on %s: %w", addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("UI server on %s did not accept connections within 10s: %w", addr, err)
		}
	}
}

// newUIServer wraps uiserver.NewServer, which panics on configuration errors.
func newUIServer(cfg *uiconfig.Config) (ui *uiserver.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("create UI server: %v", r)
		}
	}()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("UI config: %w", err)
	}
	return uiserver.NewServer(server_options.WithConfigProvider(cfg)), nil
}
