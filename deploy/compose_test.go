// Package deploy holds the container deployment of housecall: the Dockerfile
// and docker-compose.yml at the repository root, and the files they mount
// from this directory. There is no Docker engine in CI, so these tests read
// the files and check their wiring: service names, dependencies, addresses,
// ports, credentials and mounted files must agree with each other.
package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	repoRoot    = ".."
	composePath = "../docker-compose.yml"
	dockerfile  = "../Dockerfile"

	svcPostgres   = "postgres"
	svcTemporal   = "temporal"
	svcTemporalUI = "temporal-ui"
	svcMigrate    = "housecall-migrate"
	svcWorker     = "housecall-worker"
	svcAPI        = "housecall-api"

	temporalFrontendPort = "7233"
	postgresPort         = "5432"
)

// testEnv stands in for the operator's environment when the compose file is
// interpolated. The required variables get values; the rest use defaults.
var testEnv = map[string]string{
	"POSTGRES_PASSWORD":             "pw-from-env",
	"HOUSECALL_AUTH_TOKENS":         "tok1=admin,tok2=callcentre:alice",
	"HOUSECALL_TEMPORAL_CODEC_KEYS": "k1=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"HOUSECALL_CONSOLE_SECRET":      "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0=",
}

// ---------------------------------------------------------------------------
// Compose model: only the parts the tests look at, tolerant of the short and
// long forms the compose specification allows.

type composeFile struct {
	Services map[string]*service      `yaml:"services"`
	Volumes  map[string]any           `yaml:"volumes"`
	Configs  map[string]composeConfig `yaml:"configs"`
}

type composeConfig struct {
	File    string `yaml:"file"`
	Content string `yaml:"content"`
}

type service struct {
	Image       string       `yaml:"image"`
	Build       *buildSpec   `yaml:"build"`
	Command     stringList   `yaml:"command"`
	Entrypoint  stringList   `yaml:"entrypoint"`
	Environment envMap       `yaml:"environment"`
	DependsOn   dependsOn    `yaml:"depends_on"`
	Ports       []portSpec   `yaml:"ports"`
	Volumes     []mountSpec  `yaml:"volumes"`
	Configs     []configRef  `yaml:"configs"`
	Healthcheck *healthcheck `yaml:"healthcheck"`
	Restart     string       `yaml:"restart"`
}

type buildSpec struct {
	Context    string
	Dockerfile string
}

func (b *buildSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	var m struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	b.Context, b.Dockerfile = m.Context, m.Dockerfile
	return nil
}

// stringList is a command, entrypoint or healthcheck test: a list, or a
// string (kept as one element).
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = stringList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

// envMap is environment: a mapping, or a list of KEY=VALUE.
type envMap map[string]string

func (e *envMap) UnmarshalYAML(n *yaml.Node) error {
	out := envMap{}
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, kv := range l {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
		*e = out
		return nil
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		if v == nil {
			out[k] = ""
		} else {
			out[k] = fmt.Sprint(v)
		}
	}
	*e = out
	return nil
}

// dependsOn maps a service to its condition; the list form means
// service_started.
type dependsOn map[string]string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	out := dependsOn{}
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, s := range l {
			out[s] = "service_started"
		}
		*d = out
		return nil
	}
	var m map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		c := v.Condition
		if c == "" {
			c = "service_started"
		}
		out[k] = c
	}
	*d = out
	return nil
}

// portSpec is one published port, from "[ip:]host:container[/proto]" or the
// long form. Host is empty when the port is not published on the host.
type portSpec struct {
	HostIP, Host, Container, Protocol string
}

func (p *portSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var m struct {
			Target    any    `yaml:"target"`
			Published any    `yaml:"published"`
			HostIP    string `yaml:"host_ip"`
			Protocol  string `yaml:"protocol"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		p.Container = fmt.Sprint(m.Target)
		if m.Published != nil {
			p.Host = fmt.Sprint(m.Published)
		}
		p.HostIP, p.Protocol = m.HostIP, m.Protocol
	} else {
		s := n.Value
		if base, proto, ok := strings.Cut(s, "/"); ok {
			s, p.Protocol = base, proto
		}
		parts := strings.Split(s, ":")
		switch len(parts) {
		case 1:
			p.Container = parts[0]
		case 2:
			p.Host, p.Container = parts[0], parts[1]
		case 3:
			p.HostIP, p.Host, p.Container = parts[0], parts[1], parts[2]
		default:
			return fmt.Errorf("port %q: cannot parse", n.Value)
		}
	}
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
	return nil
}

// mountSpec is one volume entry: "source:target[:mode]" or the long form.
type mountSpec struct {
	Type, Source, Target string
	ReadOnly             bool
}

func (v *mountSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var m struct {
			Type     string `yaml:"type"`
			Source   string `yaml:"source"`
			Target   string `yaml:"target"`
			ReadOnly bool   `yaml:"read_only"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		*v = mountSpec{m.Type, m.Source, m.Target, m.ReadOnly}
		return nil
	}
	parts := strings.Split(n.Value, ":")
	switch len(parts) {
	case 1:
		*v = mountSpec{Type: "volume", Target: parts[0]}
		return nil
	case 2, 3:
		v.Source, v.Target = parts[0], parts[1]
		v.ReadOnly = len(parts) == 3 && strings.Contains(parts[2], "ro")
	default:
		return fmt.Errorf("volume %q: cannot parse", n.Value)
	}
	if strings.HasPrefix(v.Source, ".") || strings.HasPrefix(v.Source, "/") || strings.HasPrefix(v.Source, "~") {
		v.Type = "bind"
	} else {
		v.Type = "volume"
	}
	return nil
}

type configRef struct {
	Source, Target string
}

func (c *configRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.Source, c.Target = n.Value, "/"+n.Value
		return nil
	}
	var m struct {
		Source string `yaml:"source"`
		Target string `yaml:"target"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	c.Source, c.Target = m.Source, m.Target
	if c.Target == "" {
		c.Target = "/" + c.Source
	}
	return nil
}

type healthcheck struct {
	Test    stringList `yaml:"test"`
	Disable bool       `yaml:"disable"`
}

// ---------------------------------------------------------------------------
// Interpolation, as docker compose does it: on scalar values (not keys),
// supporting $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e},
// ${VAR:+r} and ${VAR+r}.

func interpolate(s string, env map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i += 2
		case next == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q", s)
			}
			v, err := resolveVar(s[i+2:i+2+end], env)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += 2 + end + 1
		case isNameByte(next, true):
			j := i + 1
			for j < len(s) && isNameByte(s[j], false) {
				j++
			}
			b.WriteString(env[s[i+1:j]])
			i = j
		default:
			b.WriteByte('$')
			i++
		}
	}
	return b.String(), nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (!first && '0' <= c && c <= '9')
}

func resolveVar(expr string, env map[string]string) (string, error) {
	k := 0
	for k < len(expr) && isNameByte(expr[k], k == 0) {
		k++
	}
	if k == 0 {
		return "", fmt.Errorf("bad variable reference ${%s}", expr)
	}
	name, op := expr[:k], expr[k:]
	val, set := env[name]
	switch {
	case op == "":
		return val, nil
	case strings.HasPrefix(op, ":-"):
		if val == "" {
			return op[2:], nil
		}
		return val, nil
	case strings.HasPrefix(op, "-"):
		if !set {
			return op[1:], nil
		}
		return val, nil
	case strings.HasPrefix(op, ":?"):
		if val == "" {
			return "", &requiredVarError{name, op[2:]}
		}
		return val, nil
	case strings.HasPrefix(op, "?"):
		if !set {
			return "", &requiredVarError{name, op[1:]}
		}
		return val, nil
	case strings.HasPrefix(op, ":+"):
		if val != "" {
			return op[2:], nil
		}
		return "", nil
	case strings.HasPrefix(op, "+"):
		if set {
			return op[1:], nil
		}
		return "", nil
	}
	return "", fmt.Errorf("unsupported variable reference ${%s}", expr)
}

type requiredVarError struct{ name, msg string }

func (e *requiredVarError) Error() string {
	return fmt.Sprintf("required variable %s is missing a value: %s", e.name, e.msg)
}

// interpolateNode rewrites scalar values in place. Alias nodes are skipped:
// their anchor is rewritten where it is defined, exactly once.
func interpolateNode(n *yaml.Node, env map[string]string) error {
	var errs []error
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			errs = append(errs, interpolateNode(c, env))
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			errs = append(errs, interpolateNode(n.Content[i], env))
		}
	case yaml.ScalarNode:
		v, err := interpolate(n.Value, env)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		n.Value = v
	}
	return errors.Join(errs...)
}

func loadCompose(t *testing.T, env map[string]string) (*composeFile, error) {
	t.Helper()
	raw, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatalf("read compose file: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", composePath, err)
	}
	if err := interpolateNode(&doc, env); err != nil {
		return nil, err
	}
	var cf composeFile
	if err := doc.Decode(&cf); err != nil {
		t.Fatalf("decode %s: %v", composePath, err)
	}
	return &cf, nil
}

func mustLoadCompose(t *testing.T) *composeFile {
	t.Helper()
	cf, err := loadCompose(t, testEnv)
	if err != nil {
		t.Fatalf("interpolate %s with %v: %v", composePath, keys(testEnv), err)
	}
	return cf
}

func keys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (cf *composeFile) svc(t *testing.T, name string) *service {
	t.Helper()
	s, ok := cf.Services[name]
	if !ok || s == nil {
		t.Fatalf("service %q missing; have %v", name, keys(cf.Services))
	}
	return s
}

func splitHostPort(t *testing.T, what, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s %q: %v", what, addr, err)
	}
	return h, p
}

func requireCondition(t *testing.T, from string, s *service, to, cond string) {
	t.Helper()
	got, ok := s.DependsOn[to]
	switch {
	case !ok:
		t.Errorf("%s: depends_on lacks %s (has %v)", from, to, keys(s.DependsOn))
	case got != cond:
		t.Errorf("%s: depends_on %s has condition %q, want %q", from, to, got, cond)
	}
}

// ---------------------------------------------------------------------------
// Tests.

func TestComposeServicesExist(t *testing.T) {
	cf := mustLoadCompose(t)
	for _, name := range []string{svcPostgres, svcTemporal, svcTemporalUI, svcMigrate, svcWorker, svcAPI} {
		s := cf.svc(t, name)
		if s.Image == "" && s.Build == nil {
			t.Errorf("%s: neither image nor build is set", name)
		}
	}
	// Every dependency must name a service in this file.
	for name, s := range cf.Services {
		for dep, cond := range s.DependsOn {
			if _, ok := cf.Services[dep]; !ok {
				t.Errorf("%s: depends_on unknown service %q", name, dep)
			}
			switch cond {
			case "service_started", "service_healthy", "service_completed_successfully":
			default:
				t.Errorf("%s: depends_on %s: unknown condition %q", name, dep, cond)
			}
			if cond == "service_healthy" {
				if h := cf.Services[dep].Healthcheck; h == nil || h.Disable || len(h.Test) == 0 {
					t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			}
		}
	}
}

func TestComposeRequiresSecrets(t *testing.T) {
	for _, v := range []string{"HOUSECALL_AUTH_TOKENS", "POSTGRES_PASSWORD", "HOUSECALL_TEMPORAL_CODEC_KEYS", "HOUSECALL_CONSOLE_SECRET"} {
		env := map[string]string{}
		for k, val := range testEnv {
			if k != v {
				env[k] = val
			}
		}
		_, err := loadCompose(t, env)
		var req *requiredVarError
		if !errors.As(err, &req) || !strings.Contains(err.Error(), v) {
			t.Errorf("with %s unset, interpolation should fail naming it (${%s:?...}); got %v", v, v, err)
		}
	}
}

func TestComposePostgres(t *testing.T) {
	cf := mustLoadCompose(t)
	pg := cf.svc(t, svcPostgres)
	if !strings.HasPrefix(pg.Image, "postgres:") {
		t.Errorf("postgres image = %q, want postgres:<version>", pg.Image)
	}
	if h := pg.Healthcheck; h == nil || h.Disable || !strings.Contains(strings.Join(h.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck should run pg_isready, got %+v", h)
	}
	if pg.Environment["POSTGRES_PASSWORD"] == "" {
		t.Error("postgres: POSTGRES_PASSWORD is empty")
	}
	var data *mountSpec
	for i, v := range pg.Volumes {
		if v.Target == "/var/lib/postgresql/data" || strings.HasPrefix(v.Target, "/var/lib/postgresql/") && v.Type == "volume" {
			data = &pg.Volumes[i]
		}
	}
	switch {
	case data == nil:
		t.Errorf("postgres: no volume for the data directory; volumes %+v", pg.Volumes)
	case data.Type != "volume":
		t.Errorf("postgres data directory should be a named volume, got %+v", *data)
	default:
		if _, ok := cf.Volumes[data.Source]; !ok {
			t.Errorf("postgres data volume %q is not declared under top-level volumes (%v)", data.Source, keys(cf.Volumes))
		}
	}
}

// initSQL returns the SQL files mounted into postgres's init directory.
func initSQL(t *testing.T, pg *service) map[string]string {
	t.Helper()
	const initDir = "/docker-entrypoint-initdb.d"
	files := map[string]string{}
	for _, v := range pg.Volumes {
		if v.Target != initDir && !strings.HasPrefix(v.Target, initDir+"/") {
			continue
		}
		if v.Type != "bind" {
			t.Errorf("init mount %+v should be a bind mount of a file in the repository", v)
			continue
		}
		src := filepath.Join(repoRoot, v.Source)
		fi, err := os.Stat(src)
		if err != nil {
			t.Errorf("init mount source %s: %v", v.Source, err)
			continue
		}
		var paths []string
		if fi.IsDir() {
			paths, _ = filepath.Glob(filepath.Join(src, "*.sql"))
		} else {
			paths = []string{src}
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("read %s: %v", p, err)
				continue
			}
			files[p] = string(b)
		}
	}
	if len(files) == 0 {
		t.Errorf("postgres: no init SQL is mounted into %s; volumes %+v", initDir, pg.Volumes)
	}
	return files
}

func TestComposeInitSQLCreatesHousecallDatabase(t *testing.T) {
	cf := mustLoadCompose(t)
	pg := cf.svc(t, svcPostgres)
	files := initSQL(t, pg)

	if _, err := os.Stat("postgres-init/01-housecall.sql"); err != nil {
		t.Errorf("deploy/postgres-init/01-housecall.sql: %v", err)
	}

	// The database every housecall service connects to must be created there.
	dbs := map[string]bool{}
	for _, name := range []string{svcMigrate, svcWorker, svcAPI} {
		u, err := url.Parse(cf.svc(t, name).Environment["HOUSECALL_DATABASE_URL"])
		if err != nil {
			t.Fatalf("%s: HOUSECALL_DATABASE_URL: %v", name, err)
		}
		dbs[strings.TrimPrefix(u.Path, "/")] = true
	}
	for db := range dbs {
		if db == "" || db == pg.Environment["POSTGRES_DB"] {
			t.Errorf("housecall should use its own database, got %q", db)
			continue
		}
		re := regexp.MustCompile(`(?is)\bCREATE\s+DATABASE\s+"?` + regexp.QuoteMeta(db) + `"?\s*(;|\s|$)`)
		found := false
		for _, sql := range files {
			found = found || re.MatchString(sql)
		}
		if !found {
			t.Errorf("no mounted init SQL runs CREATE DATABASE %s (files %v)", db, keys(files))
		}
	}
}

func TestComposeTemporal(t *testing.T) {
	cf := mustLoadCompose(t)
	pg := cf.svc(t, svcPostgres)
	tp := cf.svc(t, svcTemporal)
	env := tp.Environment

	if db := env["DB"]; db != "postgres12" && db != "postgres12_pgx" {
		t.Errorf("temporal DB = %q, want postgres12 or postgres12_pgx", db)
	}
	if env["POSTGRES_SEEDS"] != svcPostgres {
		t.Errorf("temporal POSTGRES_SEEDS = %q, want the postgres service %q", env["POSTGRES_SEEDS"], svcPostgres)
	}
	if env["DB_PORT"] != postgresPort {
		t.Errorf("temporal DB_PORT = %q, want %s", env["DB_PORT"], postgresPort)
	}
	pgUser := pg.Environment["POSTGRES_USER"]
	if pgUser == "" {
		pgUser = "postgres"
	}
	if env["POSTGRES_USER"] != pgUser || env["POSTGRES_PWD"] != pg.Environment["POSTGRES_PASSWORD"] {
		t.Errorf("temporal credentials %q/%q do not match postgres's %q/%q",
			env["POSTGRES_USER"], env["POSTGRES_PWD"], pgUser, pg.Environment["POSTGRES_PASSWORD"])
	}
	requireCondition(t, svcTemporal, tp, svcPostgres, "service_healthy")
	if h := tp.Healthcheck; h == nil || h.Disable || len(h.Test) == 0 {
		t.Error("temporal: no healthcheck (the housecall services wait for it to be healthy)")
	}
	if ip := env["BIND_ON_IP"]; ip != "" && ip != "0.0.0.0" && ip != "::0" {
		t.Errorf("temporal BIND_ON_IP = %q: other containers could not reach the frontend", ip)
	}

	repo, tag, _ := strings.Cut(tp.Image, ":")
	switch repo {
	case "temporalio/auto-setup":
		// Sets up its own schema; deprecated upstream but self-contained.
	case "temporalio/server":
		checkTemporalSchemaJob(t, cf, tp)
	default:
		t.Errorf("temporal image %q: want temporalio/server (with an admin-tools schema job)", tp.Image)
	}

	// Same minor release as the server the Go code builds against.
	if want := goModVersion(t, "go.temporal.io/server"); want != "" {
		if majorMinor(tag) != majorMinor(want) {
			t.Errorf("temporal image tag %q is not the go.mod server release %s", tag, want)
		}
	}

	// The server refuses to start when its dynamic config file is missing.
	if p := env["DYNAMIC_CONFIG_FILE_PATH"]; p != "" {
		if !strings.HasPrefix(p, "/") {
			p = "/etc/temporal/" + p
		}
		if !providesFile(t, cf, tp, p) {
			t.Errorf("temporal DYNAMIC_CONFIG_FILE_PATH %s is not provided by a config or volume", p)
		}
	}
}

// providesFile reports whether a config or bind mount of s puts a file at path.
func providesFile(t *testing.T, cf *composeFile, s *service, path string) bool {
	for _, c := range s.Configs {
		if c.Target != path {
			continue
		}
		def, ok := cf.Configs[c.Source]
		if !ok {
			t.Errorf("config %q is not declared under top-level configs", c.Source)
			return false
		}
		if def.File != "" {
			if _, err := os.Stat(filepath.Join(repoRoot, def.File)); err != nil {
				t.Errorf("config %q: %v", c.Source, err)
				return false
			}
		} else {
			var v any
			if err := yaml.Unmarshal([]byte(def.Content), &v); err != nil {
				t.Errorf("config %q content is not YAML: %v", c.Source, err)
				return false
			}
		}
		return true
	}
	for _, v := range s.Volumes {
		if v.Type != "bind" {
			continue
		}
		if rel, err := filepath.Rel(v.Target, path); err == nil && !strings.HasPrefix(rel, "..") {
			if _, err := os.Stat(filepath.Join(repoRoot, v.Source, rel)); err == nil {
				return true
			}
		}
	}
	return false
}

// checkTemporalSchemaJob: with the plain server image something must create
// the schema first: an admin-tools one-shot running temporal-sql-tool that
// waits for postgres and that temporal waits for.
func checkTemporalSchemaJob(t *testing.T, cf *composeFile, tp *service) {
	t.Helper()
	var job string
	for dep, cond := range tp.DependsOn {
		s := cf.Services[dep]
		if s != nil && strings.HasPrefix(s.Image, "temporalio/admin-tools:") && cond == "service_completed_successfully" {
			job = dep
		}
	}
	if job == "" {
		t.Errorf("temporal (plain server image) should depend_on an admin-tools schema job with service_completed_successfully; depends_on %v", tp.DependsOn)
		return
	}
	s := cf.Services[job]
	requireCondition(t, job, s, svcPostgres, "service_healthy")
	script := strings.Join(append(slices.Clone(s.Entrypoint), s.Command...), " ")
	if !strings.Contains(script, "temporal-sql-tool") {
		t.Errorf("%s does not run temporal-sql-tool: %q", job, script)
	}
	if s.Environment["SQL_HOST"] != svcPostgres && !strings.Contains(script, "--ep "+svcPostgres) &&
		!strings.Contains(script, "--endpoint "+svcPostgres) {
		t.Errorf("%s does not point temporal-sql-tool at the %s service", job, svcPostgres)
	}
	if s.Environment["SQL_PASSWORD"] != tp.Environment["POSTGRES_PWD"] {
		t.Errorf("%s SQL_PASSWORD differs from temporal's POSTGRES_PWD", job)
	}
	for _, db := range []string{"DBNAME", "VISIBILITY_DBNAME"} {
		name := tp.Environment[db]
		if name == "" {
			name = map[string]string{"DBNAME": "temporal", "VISIBILITY_DBNAME": "temporal_visibility"}[db]
		}
		if !strings.Contains(script, name) {
			t.Errorf("%s never mentions temporal's %s %q", job, db, name)
		}
	}
	for _, step := range []string{"create", "setup-schema", "update-schema", "postgresql/v12/temporal", "postgresql/v12/visibility"} {
		if !strings.Contains(script, step) && !(step == "postgresql/v12/temporal" && strings.Contains(script, "postgresql/v12/$db")) &&
			!(step == "postgresql/v12/visibility" && strings.Contains(script, "postgresql/v12/$db")) {
			t.Errorf("%s script lacks %q", job, step)
		}
	}
}

func TestComposeTemporalUI(t *testing.T) {
	cf := mustLoadCompose(t)
	ui := cf.svc(t, svcTemporalUI)
	if !strings.HasPrefix(ui.Image, "temporalio/ui:") {
		t.Errorf("temporal-ui image = %q, want temporalio/ui:<version>", ui.Image)
	}
	h, p := splitHostPort(t, "temporal-ui TEMPORAL_ADDRESS", ui.Environment["TEMPORAL_ADDRESS"])
	if h != svcTemporal || p != temporalFrontendPort {
		t.Errorf("temporal-ui TEMPORAL_ADDRESS = %s:%s, want %s:%s", h, p, svcTemporal, temporalFrontendPort)
	}
	if _, ok := ui.DependsOn[svcTemporal]; !ok {
		t.Errorf("temporal-ui should depend_on %s", svcTemporal)
	}
	// Its container port must be the one the UI listens on.
	listen := ui.Environment["TEMPORAL_UI_PORT"]
	if listen == "" {
		listen = "8080"
	}
	for _, port := range ui.Ports {
		if port.Container != listen {
			t.Errorf("temporal-ui publishes container port %s but the UI listens on %s", port.Container, listen)
		}
	}
}

func TestComposeHousecallServices(t *testing.T) {
	cf := mustLoadCompose(t)
	mig, wrk, api := cf.svc(t, svcMigrate), cf.svc(t, svcWorker), cf.svc(t, svcAPI)

	// One image, one build, three roles.
	for name, s := range map[string]*service{svcMigrate: mig, svcWorker: wrk, svcAPI: api} {
		if s.Build == nil {
			t.Errorf("%s: no build section", name)
			continue
		}
		df := s.Build.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if _, err := os.Stat(filepath.Join(repoRoot, s.Build.Context, df)); err != nil {
			t.Errorf("%s: build %s/%s: %v", name, s.Build.Context, df, err)
		}
		if filepath.Clean(s.Build.Context) != "." {
			t.Errorf("%s: build context %q, want the repository root", name, s.Build.Context)
		}
		if *s.Build != *api.Build || s.Image != api.Image {
			t.Errorf("%s is built differently from %s: %+v %q vs %+v %q", name, svcAPI, *s.Build, s.Image, *api.Build, api.Image)
		}
		if len(s.Entrypoint) > 0 && !slices.Equal(s.Entrypoint, []string{"housecall"}) {
			t.Errorf("%s overrides the entrypoint: %q", name, s.Entrypoint)
		}
	}
	for name, want := range map[string]string{svcMigrate: "migrate", svcWorker: "worker", svcAPI: "api"} {
		cmd := cf.Services[name].Command
		if len(cmd) == 0 || strings.Fields(cmd[0])[0] != want {
			t.Errorf("%s: command %q, want housecall %s", name, cmd, want)
		}
	}

	requireCondition(t, svcMigrate, mig, svcPostgres, "service_healthy")
	if mig.Restart == "always" || mig.Restart == "unless-stopped" {
		t.Errorf("%s is a one-shot but has restart %q: it would never complete", svcMigrate, mig.Restart)
	}
	for name, s := range map[string]*service{svcWorker: wrk, svcAPI: api} {
		requireCondition(t, name, s, svcTemporal, "service_healthy")
		requireCondition(t, name, s, svcMigrate, "service_completed_successfully")
	}

	// The API listens where it is published and is health-checked on /healthz.
	h, p := splitHostPort(t, "housecall-api HOUSECALL_HTTP_ADDR", api.Environment["HOUSECALL_HTTP_ADDR"])
	if h != "0.0.0.0" && h != "" && h != "::" {
		t.Errorf("housecall-api listens on %q: unreachable from outside its container", h)
	}
	published := false
	for _, port := range api.Ports {
		published = published || (port.Container == p && port.Host != "")
	}
	if !published {
		t.Errorf("housecall-api container port %s is not published (ports %+v)", p, api.Ports)
	}
	hc := api.Healthcheck
	if hc == nil || hc.Disable {
		t.Fatal("housecall-api has no healthcheck")
	}
	test := strings.Join(hc.Test, " ")
	if !strings.Contains(test, ":"+p+"/healthz") {
		t.Errorf("housecall-api healthcheck %q does not probe /healthz on port %s", test, p)
	}
	if hc.Test[0] == "CMD" && hc.Test[1] == "curl" && !dockerfileInstalls(t, "curl") {
		t.Error("housecall-api healthcheck runs curl, which the runtime image does not install")
	}
}

func TestComposeHousecallEnvironment(t *testing.T) {
	cf := mustLoadCompose(t)
	pg := cf.svc(t, svcPostgres)
	pgUser := pg.Environment["POSTGRES_USER"]
	if pgUser == "" {
		pgUser = "postgres"
	}
	n := 0
	for name, s := range cf.Services {
		if !strings.HasPrefix(name, "housecall-") {
			continue
		}
		n++
		env := s.Environment
		for _, k := range []string{"HOUSECALL_DATABASE_URL", "HOUSECALL_TEMPORAL_ADDRESS", "HOUSECALL_AUTH_TOKENS"} {
			if env[k] == "" {
				t.Errorf("%s: %s is not set", name, k)
			}
		}
		if v := env["HOUSECALL_AUTH_TOKENS"]; v != "" && v != testEnv["HOUSECALL_AUTH_TOKENS"] {
			t.Errorf("%s: HOUSECALL_AUTH_TOKENS = %q, want it taken from the environment", name, v)
		}
		if raw := env["HOUSECALL_DATABASE_URL"]; raw != "" {
			u, err := url.Parse(raw)
			if err != nil {
				t.Errorf("%s: HOUSECALL_DATABASE_URL: %v", name, err)
				continue
			}
			if u.Scheme != "postgres" && u.Scheme != "postgresql" {
				t.Errorf("%s: HOUSECALL_DATABASE_URL scheme %q", name, u.Scheme)
			}
			if u.Hostname() != svcPostgres || u.Port() != postgresPort {
				t.Errorf("%s: HOUSECALL_DATABASE_URL host %q, want %s:%s", name, u.Host, svcPostgres, postgresPort)
			}
			pw, _ := u.User.Password()
			if u.User.Username() != pgUser || pw != pg.Environment["POSTGRES_PASSWORD"] {
				t.Errorf("%s: HOUSECALL_DATABASE_URL credentials do not match the postgres service", name)
			}
		}
		if addr := env["HOUSECALL_TEMPORAL_ADDRESS"]; addr != "" {
			h, p := splitHostPort(t, name+" HOUSECALL_TEMPORAL_ADDRESS", addr)
			if h != svcTemporal || p != temporalFrontendPort {
				t.Errorf("%s: HOUSECALL_TEMPORAL_ADDRESS = %s, want %s:%s", name, addr, svcTemporal, temporalFrontendPort)
			}
		}
		if ns := env["HOUSECALL_TEMPORAL_NAMESPACE"]; ns != "" && ns != "default" {
			t.Logf("%s uses Temporal namespace %q", name, ns)
		}
	}
	if n < 3 {
		t.Errorf("found %d housecall-* services, want at least 3", n)
	}
}

func TestComposePublishedPortsDoNotCollide(t *testing.T) {
	cf := mustLoadCompose(t)
	type bound struct{ svc, ip string }
	seen := map[string][]bound{} // "port/proto" -> bindings
	total := 0
	for _, name := range keys(cf.Services) {
		for _, p := range cf.Services[name].Ports {
			if p.Host == "" {
				continue
			}
			if _, err := strconv.Atoi(p.Host); err != nil {
				t.Errorf("%s: published port %q is not a single number", name, p.Host)
				continue
			}
			total++
			ip := p.HostIP
			if ip == "" || ip == "::" {
				ip = "0.0.0.0"
			}
			key := p.Host + "/" + p.Protocol
			for _, other := range seen[key] {
				if other.ip == ip || other.ip == "0.0.0.0" || ip == "0.0.0.0" {
					t.Errorf("host port %s is published by both %s (%s) and %s (%s)", key, other.svc, other.ip, name, ip)
				}
			}
			seen[key] = append(seen[key], bound{name, ip})
		}
	}
	if total == 0 {
		t.Error("no ports are published at all")
	}
	if len(cf.svc(t, svcPostgres).Ports) > 0 {
		t.Logf("note: postgres publishes %+v", cf.Services[svcPostgres].Ports)
	}
}

// ---------------------------------------------------------------------------
// Dockerfile.

type dfInstr struct {
	Cmd  string // upper-case instruction
	Args string
	Line int
}

type dfStage struct {
	From, Name string
	Instrs     []dfInstr
}

func parseDockerfile(t *testing.T) []dfStage {
	t.Helper()
	raw, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatalf("read Dockerfile: %v", err)
	}
	var stages []dfStage
	var cur strings.Builder
	start := 0
	flush := func() {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := dfInstr{strings.ToUpper(cmd), strings.TrimSpace(args), start}
		if in.Cmd == "FROM" {
			f := strings.Fields(in.Args)
			st := dfStage{}
			for i := 0; i < len(f); i++ {
				switch {
				case strings.HasPrefix(f[i], "--"):
				case strings.EqualFold(f[i], "AS") && i+1 < len(f):
					st.Name = f[i+1]
					i++
				case st.From == "":
					st.From = f[i]
				}
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			if in.Cmd != "ARG" {
				t.Errorf("Dockerfile:%d: %s before the first FROM", in.Line, in.Cmd)
			}
			return
		}
		stages[len(stages)-1].Instrs = append(stages[len(stages)-1].Instrs, in)
	}
	for i, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			start = i + 1
		} else if strings.HasPrefix(trimmed, "#") {
			continue // comment inside a continued instruction
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a runtime stage", len(stages))
	}
	return stages
}

func dockerfileInstalls(t *testing.T, pkg string) bool {
	stages := parseDockerfile(t)
	for _, in := range stages[len(stages)-1].Instrs {
		if in.Cmd == "RUN" && regexp.MustCompile(`\b(apt-get|apk)\b.*\b(install|add)\b.*\b`+regexp.QuoteMeta(pkg)+`\b`).MatchString(in.Args) {
			return true
		}
	}
	return false
}

func TestDockerfileBuildsHousecall(t *testing.T) {
	stages := parseDockerfile(t)
	final := stages[len(stages)-1]

	// Find the stage that builds ./cmd/housecall.
	var build *dfStage
	var buildRun dfInstr
	for i, st := range stages[:len(stages)-1] {
		for _, in := range st.Instrs {
			if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") && regexp.MustCompile(`(^|\s)\./cmd/housecall(\s|$)`).MatchString(in.Args) {
				build, buildRun = &stages[i], in
			}
		}
	}
	if build == nil {
		t.Fatal("no build stage runs `go build ... ./cmd/housecall`")
	}
	if !strings.HasPrefix(build.From, "golang:") {
		t.Errorf("build stage FROM %s, want golang:<version>", build.From)
	}
	if want := goDirective(t); want != "" {
		tag := strings.TrimPrefix(build.From, "golang:")
		if majorMinor(tag) != majorMinor(want) {
			t.Errorf("build stage image %s does not match go.mod's go %s", build.From, want)
		}
	}
	if !strings.Contains(buildRun.Args, "-trimpath") {
		t.Errorf("Dockerfile:%d: go build without -trimpath", buildRun.Line)
	}
	cgoOff := strings.Contains(buildRun.Args, "CGO_ENABLED=0")
	for _, in := range build.Instrs {
		if in.Cmd == "ENV" && regexp.MustCompile(`\bCGO_ENABLED[= ]0\b`).MatchString(in.Args) && in.Line < buildRun.Line {
			cgoOff = true
		}
	}
	if !cgoOff {
		t.Error("the housecall build does not set CGO_ENABLED=0")
	}
	out := regexp.MustCompile(`-o\s+(\S+)`).FindStringSubmatch(buildRun.Args)
	if out == nil {
		t.Fatalf("Dockerfile:%d: go build has no -o output path", buildRun.Line)
	}

	// The runtime stage copies that binary onto PATH as `housecall`.
	copied := false
	for _, in := range final.Instrs {
		if in.Cmd != "COPY" {
			continue
		}
		f := strings.Fields(in.Args)
		from := ""
		var rest []string
		for _, w := range f {
			if v, ok := strings.CutPrefix(w, "--from="); ok {
				from = v
			} else if !strings.HasPrefix(w, "--") {
				rest = append(rest, w)
			}
		}
		if len(rest) == 2 && (from == build.Name || from == strconv.Itoa(slices.IndexFunc(stages, func(s dfStage) bool { return s.Name == build.Name }))) &&
			rest[0] == out[1] && slices.Contains([]string{"/usr/local/bin/housecall", "/usr/bin/housecall", "/bin/housecall"}, rest[1]) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("runtime stage does not COPY --from=%s %s to a bin directory as housecall", build.Name, out[1])
	}

	// ENTRYPOINT ["housecall"] in exec form, in the final stage.
	var entry []string
	for _, in := range final.Instrs {
		if in.Cmd == "ENTRYPOINT" {
			entry = nil
			if err := json.Unmarshal([]byte(in.Args), &entry); err != nil {
				t.Errorf("Dockerfile:%d: ENTRYPOINT is not in exec (JSON) form: %v", in.Line, err)
			}
		}
	}
	if !slices.Equal(entry, []string{"housecall"}) {
		t.Errorf("final ENTRYPOINT = %q, want [\"housecall\"]", entry)
	}
}

func TestDockerfileRunsAsNonRoot(t *testing.T) {
	stages := parseDockerfile(t)
	final := stages[len(stages)-1]
	user := ""
	for _, in := range final.Instrs {
		if in.Cmd == "USER" {
			user = in.Args
		}
	}
	if user == "" {
		// distroless ":nonroot" images already run as uid 65532.
		if strings.Contains(final.From, "distroless") && strings.Contains(final.From, "nonroot") {
			return
		}
		t.Fatalf("final stage (FROM %s) has no USER: it would run as root", final.From)
	}
	name, _, _ := strings.Cut(user, ":")
	if name == "root" || name == "0" {
		t.Fatalf("final stage runs as %q", user)
	}
	// A named or numeric user must exist in the image: created in the stage,
	// or one that distroless provides.
	if _, err := strconv.Atoi(name); err == nil {
		id := name
		created := false
		for _, in := range final.Instrs {
			if in.Cmd == "RUN" && regexp.MustCompile(`(useradd|adduser)\b.*(--uid|-u)\s+`+id+`\b`).MatchString(in.Args) {
				created = true
			}
		}
		if !created && !strings.Contains(final.From, "distroless") {
			t.Errorf("USER %s: no useradd/adduser creates uid %s in the final stage", user, id)
		}
	} else if name != "nonroot" {
		created := false
		for _, in := range final.Instrs {
			if in.Cmd == "RUN" && regexp.MustCompile(`(useradd|adduser)\b.*\b`+regexp.QuoteMeta(name)+`\b`).MatchString(in.Args) {
				created = true
			}
		}
		if !created {
			t.Errorf("USER %s is never created in the final stage", name)
		}
	}
}

// TestDockerfileBuildTarget checks that the package the image builds is a
// command. It skips while cmd/housecall has not been written yet.
func TestDockerfileBuildTarget(t *testing.T) {
	dir := filepath.Join(repoRoot, "cmd", "housecall")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s does not exist yet", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`(?m)^package main\b`).Match(b) {
			return
		}
	}
	t.Errorf("%s has no package main file: the image would not build", dir)
}

// ---------------------------------------------------------------------------
// go.mod helpers.

func readGoMod(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatalf("read go.mod: %v", err)
	}
	return string(b)
}

// goModVersion returns the required version of module, without the leading
// v, or "" when go.mod does not require it.
func goModVersion(t *testing.T, module string) string {
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(module) + `\s+v(\S+)`).FindStringSubmatch(readGoMod(t))
	if m == nil {
		return ""
	}
	return m[1]
}

func goDirective(t *testing.T) string {
	m := regexp.MustCompile(`(?m)^go\s+(\S+)`).FindStringSubmatch(readGoMod(t))
	if m == nil {
		return ""
	}
	return m[1]
}

// majorMinor("1.32.1") == "1.32"; majorMinor("1.26-bookworm") == "1.26".
func majorMinor(v string) string {
	m := regexp.MustCompile(`^(\d+)\.(\d+)`).FindStringSubmatch(v)
	if m == nil {
		return v
	}
	return m[1] + "." + m[2]
}
