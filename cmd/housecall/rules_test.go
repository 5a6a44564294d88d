package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
)

// docs/rules.md is what `housecall rules --markdown` prints: regenerate it
// with `make rules-doc` when the catalogue, a key or a judge changes.
func TestRulesDocIsGenerated(t *testing.T) {
	want := rulesMarkdown(sop.Catalogue)
	got, err := os.ReadFile(filepath.Join("..", "..", rulesDoc))
	if err != nil {
		t.Fatalf("%v (make rules-doc writes it)", err)
	}
	if string(got) != want {
		t.Fatalf("%s drifted from the rule catalogue: run make rules-doc", rulesDoc)
	}
}

// Every rule has a judge, and the command prints one rule or refuses an
// unknown one by name.
func TestRulesCommand(t *testing.T) {
	for _, r := range sop.AllRules {
		if audit.JudgeName(r) == "" || audit.JudgeDoc(r) == "" {
			t.Errorf("%s has no judge, or its judge no doc comment", r)
		}
	}
	var out bytes.Buffer
	cmd := newRulesCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"r6.3"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"R6.3", "sop.knock_interval (30s)", "knock_prompt", "audit.judgeDoor"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("housecall rules R6.3 does not say %q:\n%s", s, out.String())
		}
	}
	cmd = newRulesCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"R99.1"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "no rule") {
		t.Fatalf("unknown rule: %v", err)
	}
}
