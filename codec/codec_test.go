package codec

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

type customer struct {
	Name  string
	Phone string
}

var alice = customer{Name: "李娜", Phone: "13800138000"}

func mustKey(t *testing.T, prefix string) Key {
	t.Helper()
	k, err := NewKey(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCodec(t *testing.T, keys []Key, current string) *Codec {
	t.Helper()
	c, err := New(keys, current)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func encrypt(t *testing.T, c *Codec, v any) *commonpb.Payload {
	t.Helper()
	dc, _ := Converters(c)
	p, err := dc.ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	c := mustCodec(t, []Key{mustKey(t, "k1-")}, "")
	p := encrypt(t, c, alice)
	if !IsEncrypted(p) || string(p.Metadata[MetadataKeyID]) != c.KeyID() {
		t.Fatalf("metadata %v: want encoding %s and key id %s", p.Metadata, MetadataEncoding, c.KeyID())
	}
	if bytes.Contains(p.Data, []byte(alice.Phone)) || bytes.Contains(p.Data, []byte(alice.Name)) {
		t.Fatal("ciphertext contains the phone or the name")
	}
	dc, _ := Converters(c)
	var got customer
	if err := dc.FromPayload(p, &got); err != nil {
		t.Fatal(err)
	}
	if got != alice {
		t.Fatalf("got %+v, want %+v", got, alice)
	}
	// Two encryptions of the same value differ (random nonce).
	if q := encrypt(t, c, alice); bytes.Equal(p.Data, q.Data) {
		t.Fatal("same ciphertext twice")
	}
}

func TestTamperedCiphertextRefused(t *testing.T) {
	k1 := mustKey(t, "k1-")
	c := mustCodec(t, []Key{k1}, "")
	p := encrypt(t, c, alice)
	p.Data[len(p.Data)-1] ^= 1
	_, err := c.Decode([]*commonpb.Payload{p})
	if err == nil || !strings.Contains(err.Error(), c.KeyID()) {
		t.Fatalf("tampered payload: err %v, want a decryption error naming the key", err)
	}

	// The key id is authenticated: relabelling a payload does not decrypt it.
	k2 := mustKey(t, "k2-")
	c2 := mustCodec(t, []Key{k1, k2}, "")
	q := encrypt(t, c, alice)
	q.Metadata[MetadataKeyID] = []byte(k2.ID)
	if _, err := c2.Decode([]*commonpb.Payload{q}); err == nil {
		t.Fatal("payload relabelled with another key id decoded")
	}
}

func TestRotation(t *testing.T) {
	k1, k2 := mustKey(t, "k1-"), mustKey(t, "k2-")
	old := encrypt(t, mustCodec(t, []Key{k1}, ""), alice)

	// k2 now encrypts; k1 is still listed for the old histories.
	c := mustCodec(t, []Key{k2, k1}, k2.ID)
	dc, _ := Converters(c)
	var got customer
	if err := dc.FromPayload(old, &got); err != nil || got != alice {
		t.Fatalf("old payload after rotation: %+v, %v", got, err)
	}
	if p := encrypt(t, c, alice); string(p.Metadata[MetadataKeyID]) != k2.ID {
		t.Fatalf("new payload encrypted with %s, want %s", p.Metadata[MetadataKeyID], k2.ID)
	}
	// temporal.codec_key_id may name a key that is not first.
	c = mustCodec(t, []Key{k1, k2}, k2.ID)
	if p := encrypt(t, c, alice); string(p.Metadata[MetadataKeyID]) != k2.ID {
		t.Fatalf("new payload encrypted with %s, want %s", p.Metadata[MetadataKeyID], k2.ID)
	}
}

func TestUnknownKeyID(t *testing.T) {
	k1, k2 := mustKey(t, "k1-"), mustKey(t, "k2-")
	p := encrypt(t, mustCodec(t, []Key{k1}, ""), alice)
	_, err := mustCodec(t, []Key{k2}, "").Decode([]*commonpb.Payload{p})
	var uk *UnknownKeyError
	if !errors.As(err, &uk) || uk.KeyID != k1.ID || !strings.Contains(err.Error(), k1.ID) {
		t.Fatalf("err %v, want an unknown key error naming %s", err, k1.ID)
	}
}

func TestPlaintextPassesThrough(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(alice)
	if err != nil {
		t.Fatal(err)
	}
	c := mustCodec(t, []Key{mustKey(t, "k1-")}, "")
	out, err := c.Decode([]*commonpb.Payload{plain})
	if err != nil || out[0] != plain {
		t.Fatalf("plain payload: %v, %v", out, err)
	}
	dc, _ := Converters(c)
	var got customer
	if err := dc.FromPayload(plain, &got); err != nil || got != alice {
		t.Fatalf("plain payload through the codec converter: %+v, %v", got, err)
	}
	// Encoding is idempotent: /codec/encode twice does not encrypt twice.
	enc, _ := c.Encode([]*commonpb.Payload{plain})
	again, _ := c.Encode(enc)
	if again[0] != enc[0] {
		t.Fatal("an encrypted payload was encrypted again")
	}
}

func TestFailuresEncrypted(t *testing.T) {
	c := mustCodec(t, []Key{mustKey(t, "k1-")}, "")
	_, fc := Converters(c)
	f := fc.ErrorToFailure(temporal.NewApplicationError("customer 13800138000 is not valid now", "ErrNotValidNow"))
	if strings.Contains(f.String(), alice.Phone) {
		t.Fatalf("failure carries the phone in clear: %v", f)
	}
	err := fc.FailureToError(f)
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != "ErrNotValidNow" || ae.Message() != "customer 13800138000 is not valid now" {
		t.Fatalf("decoded failure %v, want the application error back", err)
	}
}

func TestParseKeys(t *testing.T) {
	k := mustKey(t, "a-")
	keys, err := ParseKeys(" " + k.String() + " , b=" + strings.Repeat("A", 43) + "= ")
	if err != nil || len(keys) != 2 || keys[0].ID != k.ID || !bytes.Equal(keys[0].Secret, k.Secret) || keys[1].ID != "b" {
		t.Fatalf("keys %v, err %v", keys, err)
	}
	for in, want := range map[string]string{
		"nokey":                       "item 1 is not KEYID=BASE64",
		"a=!!!":                       `key "a": not base64`,
		"a=AAAA":                      `key "a": 3 bytes, want 32`,
		k.String() + "," + k.String(): "given twice",
	} {
		if _, err := ParseKeys(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeys(%q): %v, want %q", in, err, want)
		}
	}
	if _, err := New([]Key{k}, "other"); err == nil {
		t.Error("New with a current key id not among the keys")
	}
}
