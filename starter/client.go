package starter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to the HTTP API for the `housecall request …` and `housecall
// audit …` commands.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// Response is an API answer.
type Response struct {
	Status int
	Body   []byte
}

// OK reports a 2xx answer.
func (r Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Err turns a non-2xx answer into an error carrying the API's message and fields.
func (r Response) Err() error {
	if r.OK() {
		return nil
	}
	var e ErrorBody
	if json.Unmarshal(r.Body, &e) == nil && e.Error != "" {
		msg := fmt.Sprintf("%d %s: %s", r.Status, http.StatusText(r.Status), e.Error)
		for k, v := range e.Fields {
			msg += fmt.Sprintf("\n  %s: %s", k, v)
		}
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("%d %s: %s", r.Status, http.StatusText(r.Status), strings.TrimSpace(string(r.Body)))
}

// Do sends one call. body may be nil.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, header http.Header) (Response, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return Response{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("housecall API at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Body: b}, err
}

// CreateRequest posts a request body (R1).
func (c *Client) CreateRequest(ctx context.Context, body []byte) (Response, error) {
	return c.Do(ctx, http.MethodPost, "/v1/requests", body, nil)
}

// GetRequest reads a request's live state.
func (c *Client) GetRequest(ctx context.Context, id string) (Response, error) {
	return c.Do(ctx, http.MethodGet, "/v1/requests/"+url.PathEscape(id), nil, nil)
}

// ListRequests lists requests; q holds status, engineer, limit.
func (c *Client) ListRequests(ctx context.Context, q url.Values) (Response, error) {
	path := "/v1/requests"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.Do(ctx, http.MethodGet, path, nil, nil)
}

// SendEvent posts an event; the body must hold "type".
func (c *Client) SendEvent(ctx context.Context, id string, body []byte, idempotencyKey string) (Response, error) {
	var h http.Header
	if idempotencyKey != "" {
		h = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	return c.Do(ctx, http.MethodPost, "/v1/requests/"+url.PathEscape(id)+"/events", body, h)
}

// Get reads any API path.
func (c *Client) Get(ctx context.Context, path string) (Response, error) {
	return c.Do(ctx, http.MethodGet, path, nil, nil)
}
