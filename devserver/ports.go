package devserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// resolveListenAddr parses a host:port, checks it can be listened on and, for
// port 0, picks a free port. what names the listener in errors ("frontend", "UI").
func resolveListenAddr(what, addr string) (*listenAddr, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s address %q: %w", what, addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("%s address %q: invalid port %q", what, addr, portStr)
	}
	switch host {
	case "":
		host = "0.0.0.0"
	case "localhost":
		host = loopback
	}
	if net.ParseIP(host) == nil {
		return nil, fmt.Errorf("%s address %q: host must be an IP address or localhost", what, addr)
	}
	a := &listenAddr{bindIP: host, port: port, requested: port}
	if err := a.check(what, addr); err != nil {
		return nil, err
	}
	return a, nil
}

// check makes sure the address can be listened on right now; when a.port is 0
// it picks a free port and stores it in a.port.
func (a *listenAddr) check(what, orig string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(a.bindIP, strconv.Itoa(a.port)))
	if err != nil {
		if isAddrInUse(err) {
			return inUseErr(what, orig)
		}
		return fmt.Errorf("%s address %s: cannot listen: %w", what, orig, err)
	}
	a.port = l.Addr().(*net.TCPAddr).Port
	return l.Close()
}

func inUseErr(what, addr string) error {
	if what == "UI" {
		return fmt.Errorf("UI address %s is in use: another Temporal Web UI or housecall dev is running?", addr)
	}
	return fmt.Errorf("%s address %s is in use: another Temporal server or housecall dev is running?", what, addr)
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) ||
		strings.Contains(err.Error(), "address already in use") ||
		strings.Contains(err.Error(), "Only one usage of each socket address") // Windows
}

// freePorts returns n distinct free TCP ports on ip. All listeners are held
// until every port is picked so the ports are distinct.
func freePorts(ip string, n int) ([]int, error) {
	ports := make([]int, 0, n)
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("pick a free port on %s for an internal Temporal listener: %w", ip, err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
