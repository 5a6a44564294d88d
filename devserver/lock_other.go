//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package devserver

import "errors"

var errLocked = errors.New("lock is held")

// lockFile is a no-op where flock is unavailable: two servers on the same data
// dir are then only prevented by the frontend port check.
func lockFile(string) (func(), error) { return func() {}, nil }
