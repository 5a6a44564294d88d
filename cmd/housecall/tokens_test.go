package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/sop"
)

// Tokens set by auth.tokens are in tokens.json too, as the dev banner says,
// and the client commands find them there.
func TestConfiguredTokensInTokensFile(t *testing.T) {
	dir := t.TempDir()
	toks := []config.Token{{Token: "cc-secret", Role: sop.RoleCallCentre}, {Token: "e1-secret", Role: sop.RoleEngineer, Subject: "E-1"}}
	if err := writeDevTokens(dir, toks); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, tokensFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("tokens file: %v %v", fi, err)
	}
	for as, want := range map[string]string{"callcentre": "cc-secret", "engineer:E-1": "e1-secret"} {
		got, err := clientToken(&config.Config{DevDataDir: dir, ClientAs: as})
		if err != nil || got != want {
			t.Errorf("client.as %s: %q %v", as, got, err)
		}
	}
	loaded, err := devTokens(dir)
	if err != nil || len(loaded) != 2 || loaded[0].Token != "cc-secret" {
		t.Fatalf("devTokens: %v %v", loaded, err)
	}
}
