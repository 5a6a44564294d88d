package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/notify"
)

const secret = "s3cret"

func TestSignAndVerify(t *testing.T) {
	now := time.Unix(1_770_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"key":"SR-1/1/0"}`)
	sig := notify.Sign(secret, ts, body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Fatalf("signature %q", sig)
	}
	// What a gateway computes on its own: HMAC-SHA256 of "<timestamp>.<body>".
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts + "." + string(body)))
	if want := "sha256=" + hex.EncodeToString(h.Sum(nil)); sig != want {
		t.Fatalf("signature %q, want %q", sig, want)
	}
	if err := notify.Verify(secret, ts, body, sig, time.Minute, now.Add(30*time.Second)); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	cases := []struct {
		name            string
		secret, ts, sig string
		body            []byte
		skew            time.Duration
		at              time.Time
		want            error
	}{
		{"tampered body", secret, ts, sig, []byte(`{"key":"SR-1/1/1"}`), time.Minute, now, notify.ErrBadSignature},
		{"other secret", "other", ts, sig, body, time.Minute, now, notify.ErrBadSignature},
		{"timestamp changed", secret, strconv.FormatInt(now.Unix()+1, 10), sig, body, time.Minute, now, notify.ErrBadSignature},
		{"no prefix", secret, ts, strings.TrimPrefix(sig, "sha256="), body, time.Minute, now, notify.ErrBadSignature},
		{"not hex", secret, ts, "sha256=zz", body, time.Minute, now, notify.ErrBadSignature},
		{"empty", secret, ts, "", body, time.Minute, now, notify.ErrBadSignature},
		{"too old", secret, ts, sig, body, time.Minute, now.Add(2 * time.Minute), notify.ErrStale},
		{"from the future", secret, ts, sig, body, time.Minute, now.Add(-2 * time.Minute), notify.ErrStale},
		{"default skew", secret, ts, sig, body, 0, now.Add(notify.DefaultMaxSkew + time.Second), notify.ErrStale},
		{"no secret", "", ts, sig, body, time.Minute, now, notify.ErrNoSecret},
	}
	for _, c := range cases {
		if err := notify.Verify(c.secret, c.ts, c.body, c.sig, c.skew, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// gateway is a webhook endpoint that answers with a script of status codes
// (the last one repeats) and records what it received.
type gateway struct {
	t      *testing.T
	mu     sync.Mutex
	script []int
	header http.Header // extra headers of the answers
	calls  []call
	srv    *httptest.Server
}

type call struct {
	status int
	header http.Header
	body   []byte
	sigErr error
}

func newGateway(t *testing.T, script ...int) *gateway {
	g := &gateway{t: t, script: script, header: http.Header{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		status := g.script[min(len(g.calls), len(g.script)-1)]
		sigErr := notify.Verify(secret, r.Header.Get(notify.HeaderTimestamp), body, r.Header.Get(notify.HeaderSignature), time.Minute, time.Now())
		g.calls = append(g.calls, call{status: status, header: r.Header.Clone(), body: body, sigErr: sigErr})
		for k, v := range g.header {
			w.Header()[k] = v
		}
		g.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, http.StatusText(status))
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) notifier() *notify.WebhookNotifier {
	return &notify.WebhookNotifier{URL: g.srv.URL + "/hook?token=t0ps3cret", Secret: secret, Timeout: 5 * time.Second}
}

func (g *gateway) received() []call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// delivered counts the requests answered 2xx.
func (g *gateway) delivered() int {
	n := 0
	for _, c := range g.received() {
		if c.status/100 == 2 {
			n++
		}
	}
	return n
}

func sample() notify.Notification {
	return notify.Notification{
		ID: 7, Key: "SR-9/3/1", RequestID: "SR-9", Seq: 3, Idx: 1, Audience: "customer", Recipient: "13800138000",
		Message: "appointment_confirm", Rule: "R4.2", Lang: "en", Urgent: true, Subject: "Appointment confirmed",
		Text: "Dear customer …", Params: map[string]string{"request": "SR-9", "start": "2026-03-02 09:00"},
		CreatedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), Attempt: 1,
	}
}

func TestWebhookRequest(t *testing.T) {
	g := newGateway(t, 204)
	if err := g.notifier().Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	calls := g.received()
	if len(calls) != 1 {
		t.Fatalf("%d requests", len(calls))
	}
	c := calls[0]
	if got := c.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	if got := c.header.Get(notify.HeaderIdempotencyKey); got != "SR-9/3/1" {
		t.Errorf("Idempotency-Key %q", got)
	}
	ts, err := strconv.ParseInt(c.header.Get(notify.HeaderTimestamp), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Second {
		t.Errorf("timestamp %q", c.header.Get(notify.HeaderTimestamp))
	}
	if c.sigErr != nil {
		t.Errorf("signature does not verify: %v", c.sigErr)
	}
	tampered := append(slices.Clone(c.body[:len(c.body)-1]), ' ', '}')
	if err := notify.Verify(secret, c.header.Get(notify.HeaderTimestamp), tampered, c.header.Get(notify.HeaderSignature), time.Minute, time.Now()); !errors.Is(err, notify.ErrBadSignature) {
		t.Errorf("tampered body: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(c.body, &body); err != nil {
		t.Fatal(err)
	}
	want := []string{"key", "request_id", "audience", "recipient", "message", "rule", "lang", "urgent", "subject", "text", "params", "created_at"}
	if got := slices.Sorted(maps.Keys(body)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("body fields %v, want %v", got, want)
	}
	if body["key"] != "SR-9/3/1" || body["request_id"] != "SR-9" || body["urgent"] != true || body["created_at"] != "2026-03-01T08:00:00Z" ||
		body["params"].(map[string]any)["start"] != "2026-03-02 09:00" || body["text"] != "Dear customer …" {
		t.Errorf("body %s", c.body)
	}
}

func TestWebhookOutcomes(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter string
		ok         bool
		permanent  bool
		wait       time.Duration
	}{
		{200, "", true, false, 0},
		{202, "", true, false, 0},
		{400, "", false, true, 0},
		{401, "", false, true, 0},
		{404, "", false, true, 0},
		{422, "", false, true, 0},
		{408, "", false, false, 0},
		{429, "7", false, false, 7 * time.Second},
		{500, "", false, false, 0},
		{503, "120", false, false, 2 * time.Minute},
		{503, "soon", false, false, 0},
	}
	for _, c := range cases {
		g := newGateway(t, c.status)
		if c.retryAfter != "" {
			g.header.Set("Retry-After", c.retryAfter)
		}
		err := g.notifier().Send(context.Background(), sample())
		if (err == nil) != c.ok || notify.IsPermanent(err) != c.permanent || notify.RetryAfter(err) != c.wait {
			t.Errorf("%d (Retry-After %q): err %v, permanent %v, retry after %s", c.status, c.retryAfter, err, notify.IsPermanent(err), notify.RetryAfter(err))
		}
		if err != nil && !strings.Contains(err.Error(), strconv.Itoa(c.status)) {
			t.Errorf("%d: error does not say the status: %v", c.status, err)
		}
	}

	// Retry-After as an HTTP date.
	g := newGateway(t, 503)
	g.header.Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
	if d := notify.RetryAfter(g.notifier().Send(context.Background(), sample())); d < 85*time.Second || d > 90*time.Second {
		t.Errorf("Retry-After date: %s", d)
	}

	// A gateway that is down is retried, and the error does not leak the URL's token.
	g = newGateway(t, 200)
	w := g.notifier()
	g.srv.Close()
	err := w.Send(context.Background(), sample())
	if err == nil || notify.IsPermanent(err) || strings.Contains(err.Error(), "t0ps3cret") {
		t.Errorf("gateway down: %v", err)
	}

	// A gateway that does not answer in time is retried.
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs first
	start := time.Now()
	err = (&notify.WebhookNotifier{URL: hang.URL, Secret: secret, Timeout: 100 * time.Millisecond}).Send(context.Background(), sample())
	if err == nil || notify.IsPermanent(err) || time.Since(start) > 3*time.Second {
		t.Errorf("timeout: %v after %s", err, time.Since(start))
	}
}
