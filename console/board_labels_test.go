package console

import (
	"strings"
	"testing"
	"time"
)

// Every label of the board is in English and Chinese, and the Chinese
// board says so.
func TestBoardLabelsBothLanguages(t *testing.T) {
	n := 0
	for k, v := range labels {
		if !strings.HasPrefix(k, "board.") {
			continue
		}
		n++
		if strings.TrimSpace(v[0]) == "" || strings.TrimSpace(v[1]) == "" || v[0] == v[1] {
			t.Errorf("label %s: %q / %q", k, v[0], v[1])
		}
		if strings.Count(v[0], "%") != strings.Count(v[1], "%") {
			t.Errorf("label %s: the languages take different arguments: %q / %q", k, v[0], v[1])
		}
	}
	if n < 20 {
		t.Fatalf("only %d board labels", n)
	}
	if got := translate(langZH, "board.title"); got != "派工看板" {
		t.Fatalf("zh title %q", got)
	}
	if got := humanDur(langEN, 26*time.Hour+5*time.Minute); got != "1d 2h" {
		t.Fatalf("1d 2h: %q", got)
	}
	if got := humanDur(langZH, 95*time.Minute); got != "1小时35分" {
		t.Fatalf("zh 95 min: %q", got)
	}
	if got := cut("SR-12345 王芳", 6); got != "SR-12…" {
		t.Fatalf("cut: %q", got)
	}
}
