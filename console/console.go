// Package console is housecall's web console: server-rendered pages for the
// call centre (/centre, /board), engineers on their phones (/engineer),
// auditors (/audit, /kpi) and customers (/c/{token}, a signed link).
//
// It holds no second way to change a request: every start, event and
// booking goes through the HTTP API's own handlers, in process
// (starter.Server.Call), as the signed-in user — so validation, idempotency
// keys, the event log and the answers (400 fields, 409 reasons) are the
// API's. It reads lists from PostgreSQL (store) as the API does.
//
// Sessions are stateless signed cookies (session.go) naming the API token
// they were opened with; a token removed from auth.tokens ends its
// sessions. Every form that changes something carries a CSRF token.
package console

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the console.
type Options struct {
	// API is the HTTP API the console acts through (starter.Server.Call).
	API *starter.Server
	// Store is PostgreSQL (lists, the board, KPIs, live updates).
	Store *store.Store
	// Secret signs session cookies, CSRF tokens and customer links (at
	// least 32 bytes; console.secret). Empty: a random one for this
	// process.
	Secret []byte
	// PublicURL is where the console is reached (customer links).
	PublicURL string
	// LinkTTL is how long a customer's link stays valid.
	LinkTTL time.Duration
	// TemporalUIURL is the Temporal UI the auditor's pages link to ("" no link).
	TemporalUIURL string
	// Namespace is the Temporal namespace (links into the Temporal UI).
	Namespace string
	// Policy is the SOP policy in force (durations shown on pages).
	Policy func(time.Time) sop.Policy
	Log    *zap.Logger
	// Now is the clock (tests may replace it).
	Now func() time.Time
}

// Console serves the web console.
type Console struct {
	opt   Options
	mux   *http.ServeMux
	pages map[string]*template.Template
	log   *zap.Logger
	// live fans PostgreSQL's change notifications out to open pages (live.go).
	live *hub

	startOnce sync.Once

	// byHash is the API's tokens by tokenHash (sessions name their token
	// by it), made once.
	byHash   map[string]config.Token
	hashOnce sync.Once
}

// New makes the console. Call Start (or serve it through Mount, which
// starts it on first use) so that live updates flow.
func New(o Options) (*Console, error) {
	if o.API == nil || o.Store == nil {
		return nil, errors.New("console: API and Store are required")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Policy == nil {
		o.Policy = func(time.Time) sop.Policy { return sop.DefaultPolicy() }
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = 30 * 24 * time.Hour
	}
	if len(o.Secret) == 0 {
		o.Secret = make([]byte, 32)
		if _, err := rand.Read(o.Secret); err != nil {
			return nil, err
		}
		o.Log.Warn("console.secret is not set: sessions and customer links signed by this process end when it stops")
	}
	if len(o.Secret) < 32 {
		return nil, errors.New("console: the secret must be at least 32 bytes")
	}
	o.PublicURL = strings.TrimSuffix(o.PublicURL, "/")
	c := &Console{opt: o, mux: http.NewServeMux(), log: o.Log}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	c.live = newHub(o.Store, c.log.Named("live"))
	c.routes()
	return c, nil
}

// Start runs the console's background work (live updates) until ctx ends.
func (c *Console) Start(ctx context.Context) {
	c.startOnce.Do(func() { go c.live.run(ctx) })
}

// Mount serves the API and the console on one handler: the API's paths
// (/v1/, /healthz, /metrics, /codec/) go to api, every other path to the
// console.
func Mount(api http.Handler, c *Console) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/v1/", "/healthz", "/metrics", "/codec/"} {
		mux.Handle(p, api)
	}
	mux.Handle("/", c)
	return mux
}

// ServeHTTP serves the console's pages.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	c.mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	}))
	c.mux.HandleFunc("GET /{$}", c.home)
	c.mux.HandleFunc("POST /signin", c.signIn)
	c.mux.HandleFunc("POST /signout", c.signOut)
	c.mux.HandleFunc("GET /lang", c.setLang)
	c.handle("GET /live", []sop.Role{sop.RoleCallCentre, sop.RoleAdmin, sop.RoleEngineer, sop.RoleAuditor}, c.serveLive)
	c.routeCentre()
	c.routeBoard()
	c.routeEngineer()
	c.routeAudit()
	c.routeKPI()
	c.routeCustomer()
	c.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, http.StatusNotFound, c.tr(r, "err.not_found"))
	})
}

// user is who is signed in.
type user struct {
	sop.Actor
	// token is the API token of the session.
	token string
	csrf  string
}

// Home is each role's first page.
func Home(r sop.Role) string {
	switch r {
	case sop.RoleCallCentre, sop.RoleAdmin:
		return "/centre"
	case sop.RoleEngineer:
		return "/engineer"
	case sop.RoleAuditor:
		return "/audit"
	}
	return "/"
}

// handle registers a page for some roles. The handler runs with the
// signed-in user; a request that changes something (not GET/HEAD) must
// carry the session's CSRF token (form field "csrf" or header
// X-CSRF-Token) and come from this origin.
func (c *Console) handle(pattern string, allowed []sop.Role, h func(w http.ResponseWriter, r *http.Request, u *user)) {
	c.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		u := c.session(r)
		if u == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, http.StatusUnauthorized, c.tr(r, "err.signed_out"))
			return
		}
		if !roleIn(allowed, u.Role) {
			c.fail(w, r, u, http.StatusForbidden, fmt.Sprintf(c.tr(r, "err.wrong_role"), c.roleName(r, u.Role), r.URL.Path))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if msg := c.checkCSRF(r, u); msg != "" {
				c.fail(w, r, u, http.StatusForbidden, msg)
				return
			}
		}
		h(w, r, u)
	})
}

func roleIn(allowed []sop.Role, r sop.Role) bool {
	for _, a := range allowed {
		if a == r {
			return true
		}
	}
	return false
}

// Roles of the pages (contract.md, "Web console").
var (
	centreRoles   = []sop.Role{sop.RoleCallCentre, sop.RoleAdmin}
	engineerRoles = []sop.Role{sop.RoleEngineer}
	auditRoles    = []sop.Role{sop.RoleAuditor, sop.RoleAdmin}
)

// api calls the HTTP API in process as the user and decodes a 2xx answer
// into out (when not nil). A non-2xx answer is returned as *APIError.
func (c *Console) api(ctx context.Context, actor sop.Actor, method, path string, body any, key string, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	hdr := http.Header{}
	if key != "" {
		hdr.Set("Idempotency-Key", key)
	}
	status, resp := c.opt.API.Call(ctx, actor, method, path, raw, hdr)
	if status < 200 || status > 299 {
		e := &APIError{Status: status}
		var eb starter.ErrorBody
		if json.Unmarshal(resp, &eb) == nil {
			e.Message, e.Fields = eb.Error, eb.Fields
		}
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			return fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return nil
}

// APIError is an API answer other than 2xx: its status, message and the
// fields it named (400).
type APIError struct {
	Status  int
	Message string
	Fields  map[string]string
}

func (e *APIError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

// home is the sign-in page, or the signed-in user's home.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	if u := c.session(r); u != nil {
		http.Redirect(w, r, Home(u.Role), http.StatusSeeOther)
		return
	}
	c.render(w, r, nil, http.StatusOK, "signin", map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	return next
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		c.fail(w, r, nil, http.StatusForbidden, c.tr(r, "err.cross_site"))
		return
	}
	tok := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	actor, ok := c.opt.API.Token(tok)
	if !ok {
		c.render(w, r, nil, http.StatusUnauthorized, "signin", map[string]any{"Next": next, "Error": c.tr(r, "signin.unknown")})
		return
	}
	c.openSession(w, r, tok)
	c.log.Info("console sign-in", zap.String("actor", actor.String()))
	if next == "" {
		next = Home(actor.Role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	u := c.session(r)
	if u != nil {
		if msg := c.checkCSRF(r, u); msg != "" {
			c.fail(w, r, u, http.StatusForbidden, msg)
			return
		}
	}
	c.closeSession(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// fail renders the error page: what went wrong, in words, with a way on.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, u *user, status int, msg string) {
	c.render(w, r, u, status, "error", map[string]any{"Status": status, "Message": msg})
}

// failAPI renders an API error's status and message.
func (c *Console) failAPI(w http.ResponseWriter, r *http.Request, u *user, err error) {
	var ae *APIError
	if errors.As(err, &ae) {
		c.fail(w, r, u, ae.Status, ae.Message)
		return
	}
	c.log.Error("console", zap.Error(err), zap.String("path", r.URL.Path))
	c.fail(w, r, u, http.StatusInternalServerError, c.tr(r, "err.internal"))
}
