package workflows

import (
	"testing"
	"time"
)

func TestHumanDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 2 * time.Hour: "2h", 90 * time.Minute: "1h30m", 45 * time.Second: "45s", 300 * time.Millisecond: "300ms",
		5*time.Minute + 30*time.Second: "5m30s", 23*time.Hour + 24*time.Minute + 36*time.Second: "23h25m", 168 * time.Hour: "168h",
		-8 * time.Minute: "-8m",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%s) = %q, want %q", d, got, want)
		}
	}
}
