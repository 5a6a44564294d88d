package audit

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/housecall/housecall/codec"
)

// encryptHistory is h as workers with codec c would have written it.
func encryptHistory(t *testing.T, c *codec.Codec, h *historypb.History) *historypb.History {
	t.Helper()
	out := proto.Clone(h).(*historypb.History)
	err := proxy.VisitPayloads(context.Background(), out, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return c.Encode(ps)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newCodec(t *testing.T) *codec.Codec {
	t.Helper()
	k, err := codec.NewKey("test-")
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.New([]codec.Key{k}, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A history written with encryption is judged and replayed exactly as its
// plaintext; with the wrong key, the auditor is told which key is missing.
func TestEncryptedHistoryJudgedAndReplayed(t *testing.T) {
	name := filepath.Join("..", "workflows", "testdata", "histories", "visit-closed-card-returned.local-steps.json")
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := newCodec(t)
	enc := encryptHistory(t, c, plain)
	n := 0
	_ = proxy.VisitPayloads(context.Background(), enc, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			for _, p := range ps {
				if n++; !codec.IsEncrypted(p) {
					t.Errorf("payload in clear: %v", p)
				}
			}
			return ps, nil
		},
	})
	if n < 10 {
		t.Fatalf("only %d payloads in the history", n)
	}

	report := func(h *historypb.History, dcFrom *codec.Codec) (Report, error) {
		dc, _ := codec.Converters(dcFrom)
		runs, err := RunsFromHistories([]*historypb.History{h}, dc)
		if err != nil {
			return Report{}, err
		}
		return Build(runs, dc)
	}
	want, err := report(plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := report(enc, c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("encrypted history judged differently:\n got %+v\nwant %+v", got, want)
	}
	dc, fc := codec.Converters(c)
	if err := Replay(enc, dc, fc); err != nil {
		t.Fatalf("encrypted history does not replay with its key: %v", err)
	}
	// The codec also reads plaintext: histories from before encryption.
	if err := Replay(plain, dc, fc); err != nil {
		t.Fatalf("plaintext history does not replay through the codec: %v", err)
	}
	// Decoded for the auditor, the history is the plaintext again.
	dec, err := codec.DecodeHistory(context.Background(), c, enc)
	if err != nil || !proto.Equal(dec, plain) {
		t.Fatalf("decoded history differs from the plaintext (err %v)", err)
	}

	wrong := newCodec(t)
	if _, err := report(enc, wrong); err == nil || !strings.Contains(err.Error(), c.KeyID()) {
		t.Fatalf("wrong key: %v, want an error naming key id %s", err, c.KeyID())
	}
	dc, fc = codec.Converters(wrong)
	if err := Replay(enc, dc, fc); err == nil {
		t.Fatal("replayed with the wrong key")
	}
	if _, err := report(enc, nil); err == nil {
		t.Fatal("encrypted history read without the codec")
	}
}
