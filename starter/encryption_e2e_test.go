package starter_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/starter"
)

// customer data of body(): none of it may reach the Temporal server in clear.
var pii = []string{"13800138000", "李雷", "体育西路"}

// Issue 9: the Temporal server stores only ciphertext of a request, while
// the API, the auditor's timeline and history, and the codec endpoint the
// Temporal UI calls still show the customer.
func TestEncryptionEndToEnd(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E-1"}})
	const id = "SR-20261202-ENC001"
	env.Call("callcentre", "POST", "/v1/requests", body(id), 201, nil)
	// The update validator's rejection is an encrypted failure; the API
	// still answers its reason (the client decodes it).
	if r := env.Event("callcentre", id, map[string]any{"type": "consultation_given", "accepted": true}); r.Status != 409 || !strings.Contains(string(r.Body), "triaged") {
		t.Fatalf("rejected event: %d %s, want 409 naming what the request waits for", r.Status, r.Body)
	}
	env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "misuse"})

	// As the Temporal server keeps it: no customer data, every payload
	// encrypted with the configured key.
	raw, err := audit.History(context.Background(), env.RawClient(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	rawBytes, _ := proto.Marshal(raw)
	for _, s := range pii {
		if bytes.Contains(rawBytes, []byte(s)) {
			t.Errorf("the stored history contains %q in clear", s)
		}
	}
	var input *commonpb.Payload
	n := 0
	_ = proxy.VisitPayloads(context.Background(), raw, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			for _, p := range ps {
				n++
				if !codec.IsEncrypted(p) || string(p.GetMetadata()[codec.MetadataKeyID]) != env.Codec.KeyID() {
					t.Errorf("payload not encrypted with key %s: %v", env.Codec.KeyID(), p.GetMetadata())
				}
			}
			return ps, nil
		},
	})
	if n < 5 {
		t.Fatalf("%d payloads in the history", n)
	}
	input = raw.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
	// Without the key, the auditor's reading fails and says why.
	if _, err := audit.Runs(context.Background(), env.RawClient(), id, nil); err == nil {
		t.Error("the history was read without the codec")
	}

	// The auditor's history through the API is decrypted.
	res := env.Call("auditor", "GET", "/v1/requests/"+id+"/history", nil, 200, nil)
	h, err := client.HistoryFromJSON(bytes.NewReader(res.Body), client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := proto.Marshal(h); !bytes.Contains(b, []byte("13800138000")) || !bytes.Contains(b, []byte("李雷")) {
		t.Error("the auditor's history does not show the customer")
	}
	if err := audit.Replay(h, nil, nil); err != nil {
		t.Errorf("decrypted history does not replay: %v", err)
	}
	if kinds := env.Kinds(id); housecalltest.Count(kinds, "triaged") != 1 {
		t.Errorf("timeline kinds %v", kinds)
	}
	var all struct {
		Runs []starter.RunHistory `json:"runs"`
	}
	env.Call("auditor", "GET", "/v1/requests/"+id+"/history?runs=all", nil, 200, &all)
	if len(all.Runs) != 1 || !bytes.Contains(all.Runs[0].History, []byte(`"json/plain"`)) && !bytes.Contains(all.Runs[0].History, []byte("anNvbi9wbGFpbg")) {
		t.Errorf("runs=all not decoded: %d runs", len(all.Runs))
	}

	t.Run("codec endpoint", func(t *testing.T) {
		payloads, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{input}})
		post := func(path, token string, hdr map[string]string) (*http.Response, []byte) {
			t.Helper()
			req, _ := http.NewRequest("POST", env.API.URL+path, bytes.NewReader(payloads))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			return resp, buf.Bytes()
		}
		if r, _ := post("/codec/decode", "", nil); r.StatusCode != 401 {
			t.Errorf("no token: %d, want 401", r.StatusCode)
		}
		if r, _ := post("/codec/decode", "tok-callcentre", nil); r.StatusCode != 403 {
			t.Errorf("call centre: %d, want 403", r.StatusCode)
		}
		decoded := func(b []byte) *commonpb.Payload {
			t.Helper()
			var out commonpb.Payloads
			if err := protojson.Unmarshal(b, &out); err != nil || len(out.Payloads) != 1 {
				t.Fatalf("answer %s: %v", b, err)
			}
			return out.Payloads[0]
		}
		for _, c := range []struct{ path, token string }{{"/codec/decode", "tok-auditor"}, {"/codec/decode", "tok-admin"}, {"/codec/t/tok-auditor/decode", ""}} {
			r, b := post(c.path, c.token, map[string]string{"Origin": housecalltest.UIOrigin, "X-Namespace": "default"})
			if r.StatusCode != 200 {
				t.Fatalf("%s: %d %s", c.path, r.StatusCode, b)
			}
			if p := decoded(b); codec.IsEncrypted(p) || !bytes.Contains(p.GetData(), []byte("13800138000")) {
				t.Errorf("%s: not decoded: %v", c.path, p.GetMetadata())
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != housecalltest.UIOrigin {
				t.Errorf("%s: Access-Control-Allow-Origin %q", c.path, got)
			}
		}
		if r, _ := post("/codec/t/tok-callcentre/decode", "", nil); r.StatusCode != 403 {
			t.Errorf("call centre's token in the path: %d, want 403", r.StatusCode)
		}
		if r, _ := post("/codec/t/nope/decode", "", nil); r.StatusCode != 401 {
			t.Errorf("unknown token in the path: %d, want 401", r.StatusCode)
		}

		// encode: a plaintext payload comes back encrypted with the current key.
		plain, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"13800138000"`)}}})
		payloads = plain
		r, b := post("/codec/encode", "tok-auditor", nil)
		if p := decoded(b); r.StatusCode != 200 || !codec.IsEncrypted(p) || bytes.Contains(p.GetData(), []byte("13800138000")) {
			t.Errorf("encode: %d %s", r.StatusCode, b)
		}

		// CORS preflight: no token needed, only for the UI's origin.
		preflight := func(origin string) *http.Response {
			req, _ := http.NewRequest("OPTIONS", env.API.URL+"/codec/t/tok-auditor/decode", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		r = preflight(housecalltest.UIOrigin)
		if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != housecalltest.UIOrigin ||
			!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") || !strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("preflight: %d %v", r.StatusCode, r.Header)
		}
		if r = preflight("http://evil.test"); r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from another origin: %d %v", r.StatusCode, r.Header)
		}
	})
}
