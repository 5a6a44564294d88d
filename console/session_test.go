package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/starter"
)

func testConsole(now *time.Time, tokens ...config.Token) *Console {
	return &Console{opt: Options{
		API:    &starter.Server{Tokens: tokens},
		Secret: []byte("0123456789abcdef0123456789abcdef"),
		Now:    func() time.Time { return *now },
	}}
}

// sessionCookie opens a session for tok and returns its cookie.
func openCookie(t *testing.T, c *Console, tok string) *http.Cookie {
	t.Helper()
	w := httptest.NewRecorder()
	c.openSession(w, httptest.NewRequest("POST", "/signin", nil), tok)
	cs := w.Result().Cookies()
	if len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v", cs)
	}
	return cs[0]
}

func withCookie(ck *http.Cookie) *http.Request {
	r := httptest.NewRequest("GET", "/centre", nil)
	r.AddCookie(ck)
	return r
}

func TestSessions(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	tok := config.Token{Token: "tok-e1", Role: sop.RoleEngineer, Subject: "E1"}
	c := testConsole(&now, tok, config.Token{Token: "tok-cc", Role: sop.RoleCallCentre})
	ck := openCookie(t, c, "tok-e1")
	if strings.Contains(ck.Value, "tok-e1") {
		t.Fatal("the cookie holds the token itself")
	}

	u := c.session(withCookie(ck))
	if u == nil || u.Role != sop.RoleEngineer || u.Subject != "E1" || u.csrf == "" {
		t.Fatalf("session: %+v", u)
	}

	// Tampered: another token's hash with the same signature.
	parts := strings.Split(ck.Value, ".")
	forged := *ck
	forged.Value = strings.Join([]string{parts[0], tokenHash("tok-cc"), parts[2], parts[3], parts[4]}, ".")
	if c.session(withCookie(&forged)) != nil {
		t.Fatal("a forged cookie opened a session")
	}

	// Ended: a working day later.
	now = now.Add(SessionTTL)
	if c.session(withCookie(ck)) != nil {
		t.Fatal("an expired session is still open")
	}
	now = now.Add(-time.Hour)

	// The token is removed from the configuration: its sessions end.
	c2 := testConsole(&now, config.Token{Token: "tok-cc", Role: sop.RoleCallCentre})
	c2.opt.Secret = c.opt.Secret
	if c2.session(withCookie(ck)) != nil {
		t.Fatal("a session outlived its token")
	}
}

func TestCSRF(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	c := testConsole(&now, config.Token{Token: "tok-cc", Role: sop.RoleCallCentre})
	ck := openCookie(t, c, "tok-cc")
	u := c.session(withCookie(ck))
	post := func(csrf, origin string) string {
		r := httptest.NewRequest("POST", "http://console.test/centre", strings.NewReader("csrf="+csrf))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return c.checkCSRF(r, u)
	}
	if msg := post(u.csrf, "http://console.test"); msg != "" {
		t.Fatalf("a good form was refused: %s", msg)
	}
	if msg := post("", ""); !strings.Contains(msg, "CSRF") {
		t.Fatalf("no token: %q", msg)
	}
	if msg := post(u.csrf+"x", ""); !strings.Contains(msg, "CSRF") {
		t.Fatalf("wrong token: %q", msg)
	}
	if msg := post(u.csrf, "http://evil.test"); !strings.Contains(msg, "another site") {
		t.Fatalf("cross-site: %q", msg)
	}
	// Another session's token does not fit this one.
	other := c.session(withCookie(openCookie(t, c, "tok-cc")))
	if other.csrf == u.csrf {
		t.Fatal("two sessions share a CSRF token")
	}
}

func TestCustomerLinks(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	c := testConsole(&now)
	tok := c.customerToken("SR-1", now.Add(time.Hour))
	if id, err := c.customerRequest(tok); err != nil || id != "SR-1" {
		t.Fatalf("link: %q %v", id, err)
	}
	// Another request's id under this signature.
	parts := strings.Split(tok, ".")
	other := b64.EncodeToString([]byte("SR-2")) + "." + parts[1] + "." + parts[2]
	if _, err := c.customerRequest(other); err != ErrLinkInvalid {
		t.Fatalf("a link re-pointed at another request: %v", err)
	}
	if _, err := c.customerRequest(tok + "x"); err != ErrLinkInvalid {
		t.Fatalf("a tampered link: %v", err)
	}
	if _, err := c.customerRequest("garbage"); err != ErrLinkInvalid {
		t.Fatalf("garbage: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := c.customerRequest(tok); err != ErrLinkExpired {
		t.Fatalf("an expired link: %v", err)
	}
	if !strings.HasPrefix(CustomerLink("https://svc.example/", c.opt.Secret, "SR-1", now), "https://svc.example/c/") {
		t.Fatal("CustomerLink address")
	}
}
