package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Headers of a webhook request.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "X-Housecall-Timestamp"
	HeaderSignature      = "X-Housecall-Signature"
)

// DefaultMaxSkew is how far a webhook's timestamp may be from the verifier's
// clock when Verify is given no maxSkew.
const DefaultMaxSkew = 5 * time.Minute

// DefaultWebhookTimeout bounds one webhook request when WebhookNotifier.Timeout is zero.
const DefaultWebhookTimeout = 10 * time.Second

// maxRetryAfter caps a gateway's Retry-After.
const maxRetryAfter = 24 * time.Hour

// WebhookNotifier POSTs notifications to a gateway (see the package comment
// for the body, the headers and the signature).
type WebhookNotifier struct {
	URL string
	// Secret is the HMAC-SHA256 key of X-Housecall-Signature. Empty: the
	// requests are not signed (the gateway cannot authenticate them).
	Secret string
	// Client sends the requests; nil: http.DefaultClient.
	Client *http.Client
	// Timeout bounds each request; zero: DefaultWebhookTimeout.
	Timeout time.Duration
	// Now is the clock of X-Housecall-Timestamp; nil: time.Now.
	Now func() time.Time
}

// webhookBody is the JSON a gateway receives.
type webhookBody struct {
	Key       string            `json:"key"`
	RequestID string            `json:"request_id"`
	Audience  string            `json:"audience"`
	Recipient string            `json:"recipient"`
	Message   string            `json:"message"`
	Rule      string            `json:"rule"`
	Lang      string            `json:"lang"`
	Urgent    bool              `json:"urgent"`
	Subject   string            `json:"subject"`
	Text      string            `json:"text"`
	Params    map[string]string `json:"params"`
	CreatedAt time.Time         `json:"created_at"`
	// Link is the customer's signed link to their request (audience
	// customer only, when the console's public URL and secret are set).
	Link string `json:"link,omitempty"`
}

// Send POSTs n. It returns nil on a 2xx answer, a *Permanent error for a 4xx
// other than 408 and 429 (and for an unexpected 1xx/3xx), and a retryable
// *HTTPError (with the Retry-After of the answer) for 408, 429 and 5xx;
// network errors and timeouts are retryable too.
func (w *WebhookNotifier) Send(ctx context.Context, n Notification) error {
	if w.URL == "" {
		return errors.New("webhook: no URL configured")
	}
	params := n.Params
	if params == nil {
		params = map[string]string{}
	}
	body, err := json.Marshal(webhookBody{
		Key: n.Key, RequestID: n.RequestID, Audience: n.Audience, Recipient: n.Recipient, Message: n.Message,
		Rule: n.Rule, Lang: n.Lang, Urgent: n.Urgent, Subject: n.Subject, Text: n.Text, Params: params,
		CreatedAt: n.CreatedAt.UTC(), Link: n.Link,
	})
	if err != nil {
		return &Permanent{Err: fmt.Errorf("webhook body: %w", err)}
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return &Permanent{Err: fmt.Errorf("webhook request: %w", err)}
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, n.Key)
	req.Header.Set(HeaderTimestamp, ts)
	if w.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	}
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error repeats the full URL, which may carry a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook %s: %w", redactURL(w.URL), err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	herr := &HTTPError{StatusCode: resp.StatusCode, Body: cleanSnippet(snippet)}
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		herr.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now())
		return herr
	default:
		return &Permanent{Err: herr}
	}
}

// HTTPError is a gateway's answer other than 2xx.
type HTTPError struct {
	StatusCode int
	Body       string        // the start of the answer's body
	RetryAfter time.Duration // from the Retry-After header (408, 429, 5xx); 0 if none
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("webhook answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// RetryDelay is the wait the gateway asked for.
func (e *HTTPError) RetryDelay() time.Duration { return e.RetryAfter }

// Permanent wraps an error that retrying cannot mend (a 4xx answer, a bad
// recipient): the dispatcher gives the notification up at once.
type Permanent struct{ Err error }

func (e *Permanent) Error() string { return "permanent: " + e.Err.Error() }
func (e *Permanent) Unwrap() error { return e.Err }

// IsPermanent says whether err (or an error it wraps) is a *Permanent.
func IsPermanent(err error) bool {
	var p *Permanent
	return errors.As(err, &p)
}

// RetryAfter returns the earliest retry an error asks for: the RetryDelay of
// the first error in its chain that has one (an *HTTPError with Retry-After),
// else 0.
func RetryAfter(err error) time.Duration {
	var r interface{ RetryDelay() time.Duration }
	if errors.As(err, &r) {
		return r.RetryDelay()
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

func cleanSnippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200]) + "…"
	}
	return s
}

// redactURL keeps a URL's scheme, host and path for messages: no password, no query.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(bad URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// Sign returns the X-Housecall-Signature of body sent with timestamp:
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
func Sign(secret, timestamp string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Errors of Verify.
var (
	ErrNoSecret     = errors.New("notify: no secret to verify the signature with")
	ErrBadSignature = errors.New("notify: bad signature")
	ErrBadTimestamp = errors.New("notify: bad timestamp")
	ErrStale        = errors.New("notify: timestamp too far from now")
)

// Verify checks a webhook request as a gateway receives it: timestamp and
// signature are the X-Housecall-Timestamp and X-Housecall-Signature headers,
// body the raw bytes of the body. The signature must be the HMAC-SHA256 of
// "<timestamp>.<body>" under secret (compared in constant time), and the
// timestamp within maxSkew of now (maxSkew <= 0: DefaultMaxSkew), which bounds
// replays; the Idempotency-Key makes a replay inside that window harmless.
func Verify(secret string, timestamp string, body []byte, signature string, maxSkew time.Duration, now time.Time) error {
	if secret == "" {
		return ErrNoSecret
	}
	sig, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	if !ok {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrBadSignature
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if skew := now.Sub(time.Unix(secs, 0)); skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("%w: %s", ErrStale, skew.Round(time.Second))
	}
	return nil
}
