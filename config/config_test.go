package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
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
	t.Setenv("HOUSECALL_AUTH_TOKENS", "abc=engineer,def=boss,ghi,jkl=customer:SR-1")
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
		"auth.tokens: item 4: role customer is not given to tokens",
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

func TestCodecKeys(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := load(t)
	if err != nil || c.Codec != nil {
		t.Fatalf("default: no encryption, got %v %v", c.Codec, err)
	}
	k1 := "k1=" + strings.Repeat("A", 43) + "="
	k2 := "k2=" + strings.Repeat("B", 43) + "="
	t.Setenv("HOUSECALL_TEMPORAL_CODEC_KEYS", k1+","+k2)
	if c, err = load(t); err != nil || c.Codec.KeyID() != "k1" || len(c.CodecKeys) != 2 {
		t.Fatalf("first key encrypts: %v %v", c, err)
	}
	t.Setenv("HOUSECALL_TEMPORAL_CODEC_KEY_ID", "k2")
	if c, err = load(t); err != nil || c.Codec.KeyID() != "k2" {
		t.Fatalf("codec_key_id: %v", err)
	}
	t.Setenv("HOUSECALL_TEMPORAL_CODEC_KEY_ID", "k3")
	t.Setenv("HOUSECALL_HTTP_CODEC_ORIGINS", "http://ui:8233,ftp://x")
	_, err = load(t)
	for _, want := range []string{`temporal.codec_key_id: "k3" is not a key id of temporal.codec_keys`, `http.codec_origins: invalid origin "ftp://x"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	t.Setenv("HOUSECALL_TEMPORAL_CODEC_KEY_ID", "")
	t.Setenv("HOUSECALL_HTTP_CODEC_ORIGINS", "")
	t.Setenv("HOUSECALL_TEMPORAL_CODEC_KEYS", "k1=AAAA,k2")
	_, err = load(t)
	for _, want := range []string{`temporal.codec_keys: key "k1": 3 bytes, want 32`, "temporal.codec_keys: item 2 is not KEYID=BASE64"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
}

// writeCert writes a self-signed certificate and its key, PEM.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "housecall-worker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func TestTemporalTLS(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := load(t)
	if err != nil || c.TemporalTLS != nil {
		t.Fatalf("default: plain gRPC, got %v %v", c.TemporalTLS, err)
	}
	certFile, keyFile := writeCert(t, dir)
	t.Setenv("HOUSECALL_TEMPORAL_ADDRESS", "ns.acct.tmprl.cloud:7233")
	t.Setenv("HOUSECALL_TEMPORAL_TLS_CERT", certFile)
	t.Setenv("HOUSECALL_TEMPORAL_TLS_KEY", keyFile)
	t.Setenv("HOUSECALL_TEMPORAL_TLS_CA", certFile)
	c, err = load(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.TemporalTLS == nil || len(c.TemporalTLS.Certificates) != 1 || c.TemporalTLS.RootCAs == nil || c.TemporalTLS.ServerName != "ns.acct.tmprl.cloud" {
		t.Fatalf("TLS %+v", c.TemporalTLS)
	}
	t.Setenv("HOUSECALL_TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
	if c, err = load(t); err != nil || c.TemporalTLS.ServerName != "temporal.internal" {
		t.Fatalf("server name: %v", err)
	}

	// An API key alone turns TLS on (Temporal Cloud), unless told otherwise.
	for _, k := range []string{"CERT", "KEY", "CA", "SERVER_NAME"} {
		t.Setenv("HOUSECALL_TEMPORAL_TLS_"+k, "")
	}
	t.Setenv("HOUSECALL_TEMPORAL_API_KEY", "secret-key")
	if c, err = load(t); err != nil || c.TemporalTLS == nil || c.TemporalAPIKey != "secret-key" {
		t.Fatalf("api key: %v %v", c, err)
	}
	t.Setenv("HOUSECALL_TEMPORAL_TLS_ENABLED", "false")
	if c, err = load(t); err != nil || c.TemporalTLS != nil {
		t.Fatalf("tls.enabled=false: %v", err)
	}

	t.Setenv("HOUSECALL_TEMPORAL_TLS_ENABLED", "maybe")
	t.Setenv("HOUSECALL_TEMPORAL_TLS_CERT", filepath.Join(dir, "missing.pem"))
	t.Setenv("HOUSECALL_TEMPORAL_TLS_KEY", keyFile)
	t.Setenv("HOUSECALL_TEMPORAL_TLS_CA", keyFile)
	_, err = load(t)
	for _, want := range []string{`temporal.tls.enabled: must be true or false, got "maybe"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	t.Setenv("HOUSECALL_TEMPORAL_TLS_ENABLED", "")
	_, err = load(t)
	for _, want := range []string{"temporal.tls.cert: cannot read " + filepath.Join(dir, "missing.pem") + ": no such file or directory", "temporal.tls.ca: " + keyFile + " holds no PEM certificate"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	t.Setenv("HOUSECALL_TEMPORAL_TLS_CERT", "")
	t.Setenv("HOUSECALL_TEMPORAL_TLS_CA", "")
	if _, err = load(t); err == nil || !strings.Contains(err.Error(), "temporal.tls.cert: required with temporal.tls.key") {
		t.Errorf("key without cert: %v", err)
	}
}

// The rule catalogue names configuration keys that exist, and every sop.*
// key whose description names rules is listed under those rules.
func TestCatalogueKeys(t *testing.T) {
	for _, r := range sop.Catalogue {
		for _, k := range r.Keys {
			if _, _, ok := Describe(k); !ok {
				t.Errorf("%s names an unknown key %s", r.Rule, k)
			}
		}
	}
	for _, k := range keys {
		if !strings.HasPrefix(k.name, "sop.") {
			continue
		}
		head, _, found := strings.Cut(k.usage, ":")
		if !found {
			continue
		}
		for _, id := range strings.Split(head, ",") {
			id = strings.TrimSpace(id)
			if !strings.HasPrefix(id, "R") {
				continue
			}
			info, ok := sop.Info(sop.Rule(id))
			if !ok {
				t.Errorf("%s names an unknown rule %s", k.name, id)
				continue
			}
			if !slices.Contains(info.Keys, k.name) {
				t.Errorf("%s is %s's key (%q) but the catalogue does not list it", k.name, id, k.usage)
			}
		}
	}
}

// Run from the binary's own folder: a file named "housecall" (the binary) is
// not a configuration file; housecall.yaml beside it is.
func TestOnlyHousecallYAMLIsRead(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("housecall", []byte("\x7fELF\x02\x01\x01\x00binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := load(t)
	if err != nil {
		t.Fatalf("the binary read as configuration: %v", err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" {
		t.Fatalf("http.addr %s", c.HTTPAddr)
	}
	if err := os.WriteFile("housecall.yaml", []byte("http:\n  addr: 127.0.0.1:9191\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = load(t); err != nil || c.HTTPAddr != "127.0.0.1:9191" {
		t.Fatalf("housecall.yaml not read: %v %v", c, err)
	}
	if err := os.WriteFile("housecall.yaml", []byte("http: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := load(t); err == nil || !strings.Contains(err.Error(), "housecall.yaml") {
		t.Fatalf("a broken housecall.yaml: %v", err)
	}
}
