// Package codec encrypts what housecall gives Temporal to keep: workflow
// inputs, activity inputs and results, update arguments, markers and
// failures. A Temporal history holds customers' names, phones and addresses;
// with this codec the Temporal server (and anyone reading its database) sees
// only AES-256-GCM ciphertext.
//
// Each encrypted payload names its key in its metadata (encryption-key-id),
// so keys can be rotated: a new key encrypts new payloads while the old keys,
// still listed, decode the histories written under them. Payloads that are
// not encrypted (histories from before encryption) pass through unchanged.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

const (
	// MetadataEncoding is the encoding of an encrypted payload, as in
	// Temporal's encryption sample.
	MetadataEncoding = "binary/encrypted"
	// MetadataKeyID is the metadata key naming the key that encrypted a payload.
	MetadataKeyID = "encryption-key-id"
	// KeySize is the size of an AES-256 key.
	KeySize = 32
)

// Key is one encryption key and its id.
type Key struct {
	ID     string
	Secret []byte
}

// String is the key as temporal.codec_keys takes it: ID=BASE64.
func (k Key) String() string {
	return k.ID + "=" + base64.StdEncoding.EncodeToString(k.Secret)
}

// NewKey makes a random key; its id is prefix followed by random hex.
func NewKey(prefix string) (Key, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, err
	}
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return Key{}, err
	}
	return Key{ID: prefix + hex.EncodeToString(id), Secret: secret}, nil
}

// ParseKeys reads a comma-separated list of ID=BASE64 keys (32 bytes each,
// standard or URL base64). It reports every bad item.
func ParseKeys(s string) ([]Key, error) {
	var (
		keys []Key
		errs []error
		seen = map[string]bool{}
	)
	n := 0
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		n++
		id, b64, ok := strings.Cut(item, "=")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			errs = append(errs, fmt.Errorf("item %d is not KEYID=BASE64", n))
			continue
		}
		if strings.ContainsAny(id, " \t") {
			errs = append(errs, fmt.Errorf("item %d: key id %q has blanks", n, id))
			continue
		}
		secret, err := decodeBase64(strings.TrimSpace(b64))
		if err != nil {
			errs = append(errs, fmt.Errorf("key %q: not base64", id))
			continue
		}
		if len(secret) != KeySize {
			errs = append(errs, fmt.Errorf("key %q: %d bytes, want %d (AES-256)", id, len(secret), KeySize))
			continue
		}
		if seen[id] {
			errs = append(errs, fmt.Errorf("key %q is given twice", id))
			continue
		}
		seen[id] = true
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	return keys, errors.Join(errs...)
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// Codec is a converter.PayloadCodec encrypting with one key and decrypting
// with any of its keys.
type Codec struct {
	current string
	aeads   map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New makes a codec of keys; current (empty: the first key) encrypts.
func New(keys []Key, current string) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("no keys")
	}
	c := &Codec{current: current, aeads: map[string]cipher.AEAD{}}
	if c.current == "" {
		c.current = keys[0].ID
	}
	for _, k := range keys {
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("key %q: %d bytes, want %d", k.ID, len(k.Secret), KeySize)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
	}
	if c.aeads[c.current] == nil {
		return nil, fmt.Errorf("key id %q is not among the keys", c.current)
	}
	return c, nil
}

// KeyID is the id of the key that encrypts.
func (c *Codec) KeyID() string { return c.current }

// Encode encrypts every payload with the current key. A payload already
// encrypted is left as it is.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if IsEncrypted(p) {
			out[i] = p
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("encrypt payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncoding),
				MetadataKeyID:              []byte(c.current),
			},
			// The key id is authenticated with the data: a payload moved
			// under another key id does not decrypt.
			Data: aead.Seal(nonce, nonce, plain, []byte(c.current)),
		}
	}
	return out, nil
}

// Decode decrypts every encrypted payload with the key it names; others
// pass through unchanged.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !IsEncrypted(p) {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		if id == "" {
			return payloads, fmt.Errorf("encrypted payload without %s metadata", MetadataKeyID)
		}
		aead := c.aeads[id]
		if aead == nil {
			return payloads, &UnknownKeyError{KeyID: id}
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return payloads, fmt.Errorf("encrypted payload (key id %q) is too short", id)
		}
		nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("decrypt payload with key id %q: %w (wrong key, or the payload was altered)", id, err)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return payloads, fmt.Errorf("decrypted payload (key id %q): %w", id, err)
		}
		out[i] = &dec
	}
	return out, nil
}

// UnknownKeyError is a payload encrypted with a key the codec does not have.
type UnknownKeyError struct{ KeyID string }

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("payload encrypted with key id %q, which is not in temporal.codec_keys (list the old key beside the new one after a rotation)", e.KeyID)
}

// IsEncrypted says whether p is a payload of this codec.
func IsEncrypted(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[converter.MetadataEncoding]) == MetadataEncoding
}

// Converters are the data and failure converters for a Temporal client or
// replayer: encrypting through c, or Temporal's defaults when c is nil.
// Failure messages and stack traces are encrypted too (they can quote
// customer data); a client with the same converters reads them back as the
// original errors, so ApplicationError types and messages survive.
func Converters(c *Codec) (converter.DataConverter, converter.FailureConverter) {
	if c == nil {
		return converter.GetDefaultDataConverter(), temporal.GetDefaultFailureConverter()
	}
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	fc := temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
	return dc, fc
}
