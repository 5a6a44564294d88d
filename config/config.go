// Package config reads housecall's configuration with viper: flags, then
// HOUSECALL_* environment variables (key with "." → "_"), then housecall.yaml,
// then the defaults of contract.md. Every value is checked at start; a bad
// one is reported with its key.
package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/sop"
)

type kind int

const (
	kString kind = iota
	kDuration
	kInt
	kClock
	kAddr
	kURL
	kList
	kBool
	kFloat
)

// key is one configuration key.
type key struct {
	name  string
	def   string
	kind  kind
	usage string
}

// keys are all configuration keys, in the order of contract.md (then ours).
var keys = []key{
	{"http.addr", "127.0.0.1:8080", kAddr, "HTTP API listen address"},
	{"database.url", "postgres://postgres@127.0.0.1:5432/housecall?sslmode=disable", kURL, "PostgreSQL URL (pgx)"},
	{"temporal.address", "127.0.0.1:7233", kAddr, "Temporal frontend (dev: the embedded server listens here)"},
	{"temporal.namespace", "default", kString, "Temporal namespace"},
	{"temporal.task_queue", "housecall", kString, "Temporal task queue of the worker"},
	{"temporal.codec_keys", "", kList, "payload encryption keys KEYID=BASE64(32 bytes), comma-separated; empty: payloads are not encrypted (dev: a key made once in dev.data_dir/codec-key)"},
	{"temporal.codec_key_id", "", kString, "the key of temporal.codec_keys that encrypts new payloads (default: the first); the others still decrypt"},
	{"temporal.tls.enabled", "", kBool, "TLS to the Temporal frontend: true, false, or empty (on when any other temporal.tls.* or temporal.api_key is set)"},
	{"temporal.tls.cert", "", kString, "client certificate file (PEM) for mTLS to Temporal; with temporal.tls.key"},
	{"temporal.tls.key", "", kString, "private key file (PEM) of temporal.tls.cert"},
	{"temporal.tls.ca", "", kString, "CA certificates file (PEM) the Temporal frontend's certificate is checked against (default: the system's)"},
	{"temporal.tls.server_name", "", kString, "server name expected in the Temporal frontend's certificate (default: the host of temporal.address)"},
	{"temporal.api_key", "", kString, "API key sent to Temporal (e.g. Temporal Cloud) as a bearer token"},
	{"dev.ui_addr", "127.0.0.1:8233", kAddr, "dev: Temporal Web UI listen address"},
	{"dev.data_dir", ".housecall", kString, "dev: where the embedded Temporal server keeps its SQLite file and the dev tokens"},
	{"http.codec_origins", "", kList, "browser origins (the Temporal UI's URL) allowed to call the codec endpoint /codec, comma-separated (dev: the embedded UI's)"},
	{"auth.tokens", "", kList, "API tokens TOKEN=ROLE[:SUBJECT], comma-separated; roles callcentre, engineer (subject = engineer id), auditor, admin (dev: generated and printed)"},
	{"sop.verify_timeout", "2h", kDuration, "R1.2: verification not done within this is escalated"},
	{"sop.consultation_followup", "2h", kDuration, "R2.2: call-back this long after a phone consultation"},
	{"sop.warranty_months", "12", kInt, "R3.1: warranty from the purchase date, in months"},
	{"sop.return_window", "720h", kDuration, "R3.3: returns and exchanges within this of the sale"},
	{"sop.arrive_early", "10m", kDuration, "R5.2: arrive this long before the appointment"},
	{"sop.knock_interval", "30s", kDuration, "R6.3: knock again this often"},
	{"sop.call_after", "5m", kDuration, "R6.3: phone the customer after this long at the door"},
	{"sop.late_notice", "2m", kDuration, "R6.5: call the customer this long before the appointment when not there"},
	{"sop.late_major", "15m", kDuration, "R6.5: lateness from which a sincere apology and a gift are due"},
	{"sop.hq_answer_within", "24h", kDuration, "R7.2: HQ answers a new problem within this"},
	{"sop.max_visits_before_manager", "3", kInt, "R8.3: the after-sales manager takes over after this many visits"},
	{"sop.uncertain_fix_followup", "168h", kDuration, "R9.1: follow-up call this long after an uncertain fix"},
	{"sop.reconcile_at", "18:00", kClock, "R10.2: daily reconciliation time (HH:MM, sop.timezone)"},
	{"sop.complaint_response", "12h", kDuration, "R11.1: complaints are answered within this"},
	{"sop.guidance_notice", "72h", kDuration, "R4.6: register technical guidance this long before installation"},
	{"sop.guidance_call_within", "12h", kDuration, "R4.6: call back within this before the installation"},
	{"sop.default_travel", "30m", kDuration, "R5.2: travel time of an engineer who has none set"},
	{"sop.timezone", "Local", kString, "time zone of the service area (same-day rules, reconciliation)"},
	{"sop.return_area_limit_m2", "2", kFloat, "R3.3: returns up to this many m² are brought to the store at any time; above, booked by phone and handled at the warehouse"},
	{"sop.guidance_visit", "2h", kDuration, "R4.6: length of the engineer's technical guidance visit"},
	{"sop.call_again_after", "30m", kDuration, "R4.3: a customer who did not answer the phone is called again after this"},
	{"sop.door_early", "5m", kDuration, "R6.4: at the door on time or up to this early"},
	{"sop.departure_plan_ahead", "1h", kDuration, "R12.1: the engineer confirms the planned departure this long before it"},
	{"sop.pause_max", "30m", kDuration, "R12.4: a pause longer than this without resuming goes back to booking"},
	{"sop.callback_within", "1h", kDuration, "R2.2, R9.1, R10.2: a call-back that fell due is made within this, else the centre is told"},
	{"sop.manager_after", "4h", kDuration, "an escalation to the centre left this long without action goes to the after-sales manager"},
	{"sop.revisit_booking_within", "24h", kDuration, "R8.3: a re-visit for a dissatisfied customer is booked within this"},
	{"sop.reconcile_grace", "1h", kDuration, "R10.2: a card not reconciled this long after the daily run is escalated"},
	{"sop.history_limit", "4000", kInt, "continue a request's workflow as new after this many history events"},
	{"log.level", "info", kString, "log level: debug, info, warn, error"},
	{"log.format", "", kString, "log format: json or console (default: console for dev, json otherwise)"},
	{"notify.webhook_url", "", kURL, "notifications gateway: signed POSTs go here (empty: notifications are logged)"},
	{"notify.webhook_secret", "", kString, "HMAC-SHA256 key signing webhook bodies (X-Housecall-Signature)"},
	{"notify.max_attempts", "12", kInt, "give a notification up after this many failed attempts"},
	{"client.url", "", kURL, "client commands: the HTTP API (default: http:// + http.addr)"},
	{"client.token", "", kString, "client commands: bearer token (dev: read from dev.data_dir)"},
	{"client.as", "callcentre", kString, "client commands in dev without a token: act as this role, or engineer:ID"},
	{"console.secret", "", kString, "web console: key (at least 32 bytes, or base64 of them) signing session cookies, CSRF tokens and the customers' links; the same on every API replica (empty: made per process, so sessions and links end at a restart; dev: made once in dev.data_dir/console-secret)"},
	{"console.public_url", "", kURL, "web console: the address customers and staff open (customer links in notifications; default: http:// + http.addr)"},
	{"console.customer_link_ttl", "720h", kDuration, "web console: how long a customer's link (/c/{token}) stays valid after it is sent"},
	{"console.temporal_ui_url", "", kURL, "web console: the Temporal UI the auditor's pages link to (dev: the embedded UI)"},
	{"worker.metrics_addr", "", kString, "housecall worker: serve Prometheus /metrics here (host:port; empty: off). housecall api and dev serve them on /metrics"},
}

// Token is one API token and who holds it.
type Token struct {
	Token   string   `json:"token"`
	Role    sop.Role `json:"role"`
	Subject string   `json:"subject,omitempty"`
}

// Config is housecall's configuration, checked.
type Config struct {
	HTTPAddr          string
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	TaskQueue         string
	// Codec encrypts Temporal payloads; nil when temporal.codec_keys is
	// empty. It, the keys, the TLS configuration and the API key are never
	// marshalled (secrets; a tls.Config does not marshal).
	Codec *codec.Codec `json:"-"`
	// CodecKeys are temporal.codec_keys.
	CodecKeys []codec.Key `json:"-"`
	// TemporalTLS is the TLS configuration to Temporal; nil: plain gRPC.
	TemporalTLS       *tls.Config `json:"-"`
	TemporalAPIKey    string      `json:"-"`
	CodecOrigins      []string
	DevUIAddr         string
	DevDataDir        string
	Tokens            []Token
	Policy            sop.Policy
	Timezone          *time.Location
	LogLevel          string
	LogFormat         string
	WebhookURL        string
	WebhookSecret     string
	NotifyMaxAttempts int
	ClientURL         string
	ClientToken       string
	ClientAs          string
	WorkerMetricsAddr string
	// Console is the web console's configuration (console.*).
	Console Console
}

// Console is the web console's configuration.
type Console struct {
	Secret          []byte `json:"-"`
	PublicURL       string
	CustomerLinkTTL time.Duration
	TemporalUIURL   string
}

// AddFlags defines a flag for every key on fs (e.g. --sop.verify_timeout) and --config.
func AddFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "configuration file (default: ./housecall.yaml if present)")
	for _, k := range keys {
		fs.String(k.name, k.def, k.usage)
	}
}

// Load reads the configuration: flags > HOUSECALL_* env > file > defaults.
// fs may be nil.
func Load(fs *pflag.FlagSet) (*Config, error) {
	v := viper.New()
	v.SetEnvPrefix("HOUSECALL")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for _, k := range keys {
		v.SetDefault(k.name, k.def)
	}
	file := ""
	if fs != nil {
		if f := fs.Lookup("config"); f != nil {
			file = f.Value.String()
		}
		for _, k := range keys {
			if f := fs.Lookup(k.name); f != nil {
				if err := v.BindPFlag(k.name, f); err != nil {
					return nil, err
				}
			}
		}
	}
	if file == "" {
		file = os.Getenv("HOUSECALL_CONFIG")
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config file %s: %w", file, err)
		}
	} else if _, err := os.Stat("housecall.yaml"); err == nil {
		// Only housecall.yaml: viper's search by name would also take an
		// extensionless "housecall" — the binary itself, run from its folder.
		v.SetConfigFile("housecall.yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("housecall.yaml: %w", err)
		}
	}
	return fromViper(v)
}

// problems collects every bad key, so that one start reports all of them.
type problems []string

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

func fromViper(v *viper.Viper) (*Config, error) {
	var bad problems
	str := func(k string) string { return strings.TrimSpace(v.GetString(k)) }
	dur := func(k string) sop.Duration {
		s := str(k)
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			bad.add(k, "invalid duration %q (use e.g. 90s, 30m, 2h)", s)
		case d <= 0:
			bad.add(k, "must be positive, got %s", s)
		}
		return sop.D(d)
	}
	num := func(k string, min int) int {
		s := str(k)
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			bad.add(k, "invalid number %q", s)
		case n < min:
			bad.add(k, "must be at least %d, got %d", min, n)
		}
		return n
	}
	decimal := func(k string) float64 {
		s := str(k)
		f, err := strconv.ParseFloat(s, 64)
		switch {
		case err != nil:
			bad.add(k, "invalid number %q", s)
		case f <= 0:
			bad.add(k, "must be positive, got %s", s)
		}
		return f
	}
	addr := func(k string) string {
		s := str(k)
		if _, port, err := net.SplitHostPort(s); err != nil {
			bad.add(k, "invalid address %q (want host:port)", s)
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			bad.add(k, "invalid port in %q", s)
		}
		return s
	}
	link := func(k string, schemes ...string) string {
		s := str(k)
		if s == "" {
			return ""
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || !slices.Contains(schemes, u.Scheme) {
			bad.add(k, "invalid URL %q (want %s://host/…)", s, strings.Join(schemes, " or "))
		}
		return s
	}

	c := &Config{
		HTTPAddr:          addr("http.addr"),
		DatabaseURL:       link("database.url", "postgres", "postgresql"),
		TemporalAddress:   addr("temporal.address"),
		TemporalNamespace: str("temporal.namespace"),
		TaskQueue:         str("temporal.task_queue"),
		DevUIAddr:         addr("dev.ui_addr"),
		DevDataDir:        str("dev.data_dir"),
		LogLevel:          strings.ToLower(str("log.level")),
		LogFormat:         strings.ToLower(str("log.format")),
		WebhookURL:        link("notify.webhook_url", "http", "https"),
		WebhookSecret:     str("notify.webhook_secret"),
		NotifyMaxAttempts: num("notify.max_attempts", 1),
		ClientURL:         link("client.url", "http", "https"),
		ClientToken:       str("client.token"),
		ClientAs:          str("client.as"),
	}
	if str("worker.metrics_addr") != "" {
		c.WorkerMetricsAddr = addr("worker.metrics_addr")
	}
	if c.DatabaseURL == "" {
		bad.add("database.url", "required")
	}
	for _, k := range []string{"temporal.namespace", "temporal.task_queue", "dev.data_dir"} {
		if str(k) == "" {
			bad.add(k, "required")
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad.add("log.level", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "", "json", "console":
	default:
		bad.add("log.format", "must be json or console, got %q", c.LogFormat)
	}
	if c.ClientURL == "" {
		c.ClientURL = "http://" + c.HTTPAddr
	}
	if c.DevDataDir != "" {
		if abs, err := filepath.Abs(c.DevDataDir); err == nil {
			c.DevDataDir = abs
		}
	}

	p := sop.Policy{
		VerifyTimeout:          dur("sop.verify_timeout"),
		ConsultationFollowup:   dur("sop.consultation_followup"),
		WarrantyMonths:         num("sop.warranty_months", 0),
		ReturnWindow:           dur("sop.return_window"),
		ArriveEarly:            dur("sop.arrive_early"),
		KnockInterval:          dur("sop.knock_interval"),
		CallAfter:              dur("sop.call_after"),
		LateNotice:             dur("sop.late_notice"),
		LateMajor:              dur("sop.late_major"),
		HQAnswerWithin:         dur("sop.hq_answer_within"),
		MaxVisitsBeforeManager: num("sop.max_visits_before_manager", 1),
		UncertainFixFollowup:   dur("sop.uncertain_fix_followup"),
		ReconcileAt:            str("sop.reconcile_at"),
		ComplaintResponse:      dur("sop.complaint_response"),
		GuidanceNotice:         dur("sop.guidance_notice"),
		GuidanceCallWithin:     dur("sop.guidance_call_within"),
		DefaultTravel:          dur("sop.default_travel"),
		HistoryLimit:           num("sop.history_limit", 100),
		ReturnAreaLimitM2:      decimal("sop.return_area_limit_m2"),
		GuidanceVisit:          dur("sop.guidance_visit"),
		CallAgainAfter:         dur("sop.call_again_after"),
		DoorEarly:              dur("sop.door_early"),
		DeparturePlanAhead:     dur("sop.departure_plan_ahead"),
		PauseMax:               dur("sop.pause_max"),
		CallbackWithin:         dur("sop.callback_within"),
		ManagerAfter:           dur("sop.manager_after"),
		RevisitBookingWithin:   dur("sop.revisit_booking_within"),
		ReconcileGrace:         dur("sop.reconcile_grace"),
	}
	if _, _, err := sop.ParseClock(p.ReconcileAt); err != nil {
		bad.add("sop.reconcile_at", "%v", err)
	}
	if p.KnockInterval > 0 && p.CallAfter > 0 && p.KnockInterval > p.CallAfter {
		bad.add("sop.knock_interval", "%s is longer than sop.call_after %s: no knock would be prompted before the call", p.KnockInterval, p.CallAfter)
	}
	tz := str("sop.timezone")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		bad.add("sop.timezone", "unknown time zone %q", tz)
		loc = time.UTC
	}
	c.Timezone = loc
	c.Policy = p

	c.Tokens = parseTokens(v.Get("auth.tokens"), &bad)
	c.CodecKeys, c.Codec = parseCodec(listOf(v.Get("temporal.codec_keys")), str("temporal.codec_key_id"), &bad)
	c.TemporalTLS = parseTLS(str, c.TemporalAddress, &bad)
	c.TemporalAPIKey = str("temporal.api_key")
	for _, o := range listOf(v.Get("http.codec_origins")) {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad.add("http.codec_origins", "invalid origin %q (want scheme://host[:port])", o)
			continue
		}
		c.CodecOrigins = append(c.CodecOrigins, strings.TrimSuffix(o, "/"))
	}

	c.Console = Console{
		Secret:          parseSecret(str("console.secret"), &bad),
		PublicURL:       strings.TrimSuffix(str("console.public_url"), "/"),
		CustomerLinkTTL: dur("console.customer_link_ttl").Std(),
		TemporalUIURL:   strings.TrimSuffix(str("console.temporal_ui_url"), "/"),
	}
	if c.Console.CustomerLinkTTL <= 0 {
		bad.add("console.customer_link_ttl", "must be positive")
	}

	if len(bad) > 0 {
		return nil, &Error{Problems: bad}
	}
	return c, nil
}

// Error lists every configuration problem found.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// listOf reads a comma-separated string (env, flag) or a YAML list.
func listOf(raw any) []string {
	var items []string
	switch x := raw.(type) {
	case string:
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	case []any:
		for _, s := range x {
			if s := strings.TrimSpace(fmt.Sprint(s)); s != "" {
				items = append(items, s)
			}
		}
	case []string:
		for _, s := range x {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	}
	return items
}

// parseCodec reads temporal.codec_keys and temporal.codec_key_id.
func parseCodec(items []string, current string, bad *problems) ([]codec.Key, *codec.Codec) {
	keys, err := codec.ParseKeys(strings.Join(items, ","))
	if err != nil {
		for _, e := range strings.Split(err.Error(), "\n") {
			bad.add("temporal.codec_keys", "%s", e)
		}
		return nil, nil
	}
	if len(keys) == 0 {
		if current != "" {
			bad.add("temporal.codec_key_id", "%q names a key, but temporal.codec_keys is empty", current)
		}
		return nil, nil
	}
	if current != "" && !slices.ContainsFunc(keys, func(k codec.Key) bool { return k.ID == current }) {
		bad.add("temporal.codec_key_id", "%q is not a key id of temporal.codec_keys", current)
		return nil, nil
	}
	c, err := codec.New(keys, current)
	if err != nil {
		bad.add("temporal.codec_keys", "%v", err)
		return nil, nil
	}
	return keys, c
}

// parseTLS reads temporal.tls.* and returns the TLS configuration to
// Temporal, or nil for plain gRPC. The files are read now, so that a missing
// or bad one is reported with its key at start.
func parseTLS(str func(string) string, address string, bad *problems) *tls.Config {
	enabled := str("temporal.tls.enabled")
	certFile, keyFile, caFile, serverName := str("temporal.tls.cert"), str("temporal.tls.key"), str("temporal.tls.ca"), str("temporal.tls.server_name")
	on := certFile != "" || keyFile != "" || caFile != "" || serverName != "" || str("temporal.api_key") != ""
	if enabled != "" {
		b, err := strconv.ParseBool(enabled)
		if err != nil {
			bad.add("temporal.tls.enabled", "must be true or false, got %q", enabled)
			return nil
		}
		if !b && (certFile != "" || keyFile != "" || caFile != "" || serverName != "") {
			bad.add("temporal.tls.enabled", "false, but temporal.tls.cert, key, ca or server_name is set")
			return nil
		}
		on = b
	}
	if !on {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(address); err == nil {
			cfg.ServerName = host
		}
	}
	ok := true
	readable := func(k, path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			bad.add(k, "cannot read %s: %v", path, unwrapPathError(err))
			ok = false
		}
		return b
	}
	switch {
	case certFile != "" && keyFile != "":
		certPEM, keyPEM := readable("temporal.tls.cert", certFile), readable("temporal.tls.key", keyFile)
		if ok {
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				bad.add("temporal.tls.cert", "%s with temporal.tls.key %s: %v", certFile, keyFile, err)
				ok = false
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
	case certFile != "":
		bad.add("temporal.tls.key", "required with temporal.tls.cert")
		ok = false
	case keyFile != "":
		bad.add("temporal.tls.cert", "required with temporal.tls.key")
		ok = false
	}
	if caFile != "" {
		if b := readable("temporal.tls.ca", caFile); b != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(b) {
				bad.add("temporal.tls.ca", "%s holds no PEM certificate", caFile)
				ok = false
			}
			cfg.RootCAs = pool
		}
	}
	if !ok {
		return nil
	}
	return cfg
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseTokens reads TOKEN=ROLE[:SUBJECT] items from a comma-separated string
// (env, flag) or a YAML list.
func parseTokens(raw any, bad *problems) []Token {
	items := listOf(raw)
	var out []Token
	seen := map[string]bool{}
	for i, it := range items {
		tok, who, ok := strings.Cut(it, "=")
		if !ok || tok == "" || who == "" {
			bad.add("auth.tokens", "item %d is not TOKEN=ROLE[:SUBJECT]", i+1)
			continue
		}
		role, subject, _ := strings.Cut(who, ":")
		t := Token{Token: tok, Role: sop.Role(role), Subject: subject}
		switch t.Role {
		case sop.RoleCallCentre, sop.RoleAuditor, sop.RoleAdmin:
		case sop.RoleEngineer:
			if subject == "" {
				bad.add("auth.tokens", "item %d: an engineer token needs the engineer id (TOKEN=engineer:ID)", i+1)
				continue
			}
		case sop.RoleCustomer:
			// Only the web console acts as a customer, through a signed
			// link naming one request: never a token.
			bad.add("auth.tokens", "item %d: role customer is not given to tokens (customers use their signed link)", i+1)
			continue
		default:
			bad.add("auth.tokens", "item %d: unknown role %q (callcentre, engineer, auditor, admin)", i+1, role)
			continue
		}
		if seen[tok] {
			bad.add("auth.tokens", "item %d: the same token is given twice", i+1)
			continue
		}
		seen[tok] = true
		out = append(out, t)
	}
	return out
}

// PolicyAt returns the SOP policy with the service area's UTC offset at t,
// ready to be copied into a workflow's input.
func (c *Config) PolicyAt(t time.Time) sop.Policy {
	p := c.Policy
	_, off := t.In(c.Timezone).Zone()
	p.UTCOffsetSeconds = off
	return p
}

// Keys returns the names of all configuration keys.
func Keys() []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.name
	}
	return out
}

// Describe returns a key's default and its description (`housecall rules`,
// docs/rules.md).
func Describe(name string) (def, usage string, ok bool) {
	for _, k := range keys {
		if k.name == name {
			return k.def, k.usage, true
		}
	}
	return "", "", false
}

// parseSecret reads console.secret: base64 of at least 32 bytes, or at
// least 32 characters taken as they are.
func parseSecret(raw string, bad *problems) []byte {
	if raw == "" {
		return nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(raw); err == nil && len(b) >= 32 {
			return b
		}
	}
	if len(raw) >= 32 {
		return []byte(raw)
	}
	bad.add("console.secret", "too short: give at least 32 bytes (e.g. openssl rand -base64 32)")
	return nil
}
