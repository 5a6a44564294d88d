package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/housecall/housecall/config"
)

// Sessions are signed cookies: "v1.<token hash>.<expiry>.<nonce>.<mac>".
// The token hash names the API token the user signed in with (never the
// token itself); the session ends when it expires, when the user signs out
// (the cookie is cleared) or when the token leaves auth.tokens.
const (
	sessionCookie = "hc_session"
	langCookie    = "hc_lang"
	// SessionTTL is how long a console session lasts: a working day.
	SessionTTL = 12 * time.Hour
)

// mac signs parts with the console's secret, for one purpose.
func (c *Console) mac(purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, c.opt.Secret)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:16])
}

// secure reports whether the request came over TLS (directly or through
// a proxy that says so): the cookie is then Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (c *Console) openSession(w http.ResponseWriter, r *http.Request, tok string) {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	exp := strconv.FormatInt(c.opt.Now().Add(SessionTTL).Unix(), 10)
	payload := "v1." + tokenHash(tok) + "." + exp + "." + b64.EncodeToString(nonce)
	value := payload + "." + b64.EncodeToString(c.mac("session", payload))
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(r), MaxAge: int(SessionTTL / time.Second)})
}

func (c *Console) closeSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(r), MaxAge: -1})
}

// session returns the signed-in user, or nil.
func (c *Console) session(r *http.Request) *user {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) != 5 || parts[0] != "v1" {
		return nil
	}
	payload := strings.Join(parts[:4], ".")
	sig, err := b64.DecodeString(parts[4])
	if err != nil || !hmac.Equal(sig, c.mac("session", payload)) {
		return nil
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || c.opt.Now().Unix() >= exp {
		return nil
	}
	// The signature is checked: the hash is ours, so looking it up leaks
	// nothing.
	t, ok := c.tokensByHash()[parts[1]]
	if !ok {
		return nil
	}
	return &user{
		Actor: actorOf(t.Role, t.Subject),
		token: t.Token,
		csrf:  b64.EncodeToString(c.mac("csrf", parts[3]))[:32],
	}
}

// tokensByHash indexes the API's tokens by tokenHash, once: every page and
// every live stream looks its session up.
func (c *Console) tokensByHash() map[string]config.Token {
	c.hashOnce.Do(func() {
		c.byHash = map[string]config.Token{}
		for _, t := range c.opt.API.TokenList() {
			c.byHash[tokenHash(t.Token)] = t
		}
	})
	return c.byHash
}

// checkCSRF checks a changing request: same origin, and the session's
// CSRF token in the form or the X-CSRF-Token header. It returns what is
// wrong, in words, or "".
func (c *Console) checkCSRF(r *http.Request, u *user) string {
	if !sameOrigin(r) {
		return "refused: the form was sent from another site (CSRF)"
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(u.csrf)) != 1 {
		return "refused: the form has no valid CSRF token (reload the page and try again)"
	}
	return ""
}

// sameOrigin refuses a request a browser says came from another site
// (Sec-Fetch-Site, else Origin against Host).
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}
