package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/housecall/housecall/console/browsertest"
	"github.com/housecall/housecall/internal/housecalltest"
)

// Sign-in, the wrong role's page, and a form without its CSRF token.
func TestSignInRolesAndCSRF(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E1"}, Quiet: true})
	b := browsertest.New(t, env.API.URL, browsertest.DesktopWidth, browsertest.DesktopHeight)

	// A wrong token is refused with words, not a stack trace.
	b.Go("/")
	b.Fill("#token", "not-a-token")
	b.ClickAndLoad("#signin")
	if msg := b.Text("p.error"); !strings.Contains(msg, "not known") {
		t.Fatalf("wrong token: %q", msg)
	}

	// The engineer signs in and lands on their page; the call centre's
	// queue is refused with the role named.
	b.SignIn(env.Token("engineer:E1"))
	if loc := b.Location(); !strings.HasSuffix(loc, "/engineer") {
		t.Fatalf("engineer landed on %s", loc)
	}
	b.Go("/centre")
	if msg := b.Text("#error-message"); !strings.Contains(msg, "engineer") || !strings.Contains(msg, "/centre") {
		t.Fatalf("wrong role page says %q", msg)
	}

	// A POST without the CSRF token is refused, even with the session.
	post := func(form url.Values) int {
		req, _ := http.NewRequest("POST", env.API.URL+"/signout", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range b.Cookies() {
			req.AddCookie(c)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post(url.Values{}); got != http.StatusForbidden {
		t.Fatalf("POST without CSRF: %d, want 403", got)
	}
	if got := post(url.Values{"csrf": {"forged"}}); got != http.StatusForbidden {
		t.Fatalf("POST with a forged CSRF token: %d, want 403", got)
	}
	// Signing out from the page works (its form carries the token).
	b.ClickAndLoad("header form button")
	if !b.Exists("#token") {
		t.Fatalf("after sign-out: %s", b.Location())
	}
}
