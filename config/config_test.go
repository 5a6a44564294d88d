package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/housecall/housecall/sop"
)

func load(t *testing.T, args ...string) (*Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(fs)
}

func TestDefaultsAreTheContracts(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.TemporalAddress != "127.0.0.1:7233" || c.TaskQueue != "housecall" ||
		c.TemporalNamespace != "default" || c.DevUIAddr != "127.0.0.1:8233" ||
		c.DatabaseURL != "postgres://postgres@127.0.0.1:5432/housecall?sslmode=disable" {
		t.Fatalf("defaults %+v", c)
	}
	want := sop.DefaultPolicy()
	want.HistoryLimit = c.Policy.HistoryLimit
	if c.Policy != want {
		t.Fatalf("policy %+v\nwant   %+v", c.Policy, want)
	}
	if c.ClientURL != "http://127.0.0.1:8080" {
		t.Fatalf("client url %s", c.ClientURL)
	}
}

// flags > HOUSECALL_* env > housecall.yaml > defaults
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	yaml := "sop:\n  knock_interval: 20s\n  call_after: 4m\n  verify_timeout: 1h\nhttp:\n  addr: 127.0.0.1:9000\n"
	if err := os.WriteFile(filepath.Join(dir, "housecall.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOUSECALL_SOP_CALL_AFTER", "3m")
	t.Setenv("HOUSECALL_SOP_VERIFY_TIMEOUT", "90m")
	c, err := load(t, "--sop.verify_timeout=45m")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Policy.KnockInterval.Std(); got != 20*time.Second {
		t.Errorf("file value: knock_interval %s", got)
	}
	if got := c.Policy.CallAfter.Std(); got != 3*time.Minute {
		t.Errorf("env over file: call_after %s", got)
	}
	if got := c.Policy.VerifyTimeout.Std(); got != 45*time.Minute {
		t.Errorf("flag over env: verify_timeout %s", got)
	}
	if c.HTTPAddr != "127.0.0.1:9000" {
		t.Errorf("http.addr %s", c.HTTPAddr)
	}
}

func TestBadValuesNameTheirKeys(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("HOUSECALL_SOP_VERIFY_TIMEOUT", "2x")
	t.Setenv("HOUSECALL_DATABASE_URL", "mysql://nope")
	t.Setenv("HOUSECALL_HTTP_ADDR", "8080")
	t.Setenv("HOUSECALL_SOP_RECONCILE_AT", "6pm")
	t.Setenv("HOUSECALL_SOP_WARRANTY_MONTHS", "twelve")
	t.Setenv("HOUSECALL_AUTH_TOKENS", "abc=engineer,def=boss,ghi")
	_, err := load(t)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a config error, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`sop.verify_timeout: invalid duration "2x"`,
		`database.url: invalid URL "mysql://nope"`,
		`http.addr: invalid address "8080"`,
		`sop.reconcile_at: invalid time of day "6pm"`,
		`sop.warranty_months: invalid number "twelve"`,
		"auth.tokens: item 1: an engineer token needs the engineer id",
		`auth.tokens: item 2: unknown role "boss"`,
		"auth.tokens: item 3 is not TOKEN=ROLE[:SUBJECT]",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
}

func TestTokensFromEnvAndFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOUSECALL_AUTH_TOKENS", "t1=callcentre, t2=engineer:E-7,t3=auditor")
	c, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tokens) != 3 || c.Tokens[1] != (Token{Token: "t2", Role: sop.RoleEngineer, Subject: "E-7"}) {
		t.Fatalf("tokens %+v", c.Tokens)
	}
	os.Unsetenv("HOUSECALL_AUTH_TOKENS")
	yaml := "auth:\n  tokens:\n    - a1=admin\n    - e1=engineer:E-1\n"
	if err := os.WriteFile(filepath.Join(dir, "housecall.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = load(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tokens) != 2 || c.Tokens[0].Role != sop.RoleAdmin || c.Tokens[1].Subject != "E-1" {
		t.Fatalf("tokens from file %+v", c.Tokens)
	}
}

func TestExplicitMissingConfigFileIsAnError(t *testing.T) {
	_, err := load(t, "--config=/nonexistent/housecall.yaml")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/housecall.yaml") {
		t.Fatalf("got %v", err)
	}
}

func TestPolicyAtUsesTheServiceAreasOffset(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("HOUSECALL_SOP_TIMEZONE", "Asia/Shanghai")
	c, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if off := c.PolicyAt(time.Now()).UTCOffsetSeconds; off != 8*3600 {
		t.Fatalf("offset %d", off)
	}
}
