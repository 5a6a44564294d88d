package console

import (
	"crypto/hmac"
	"errors"
	"strconv"
	"strings"
	"time"
)

// A customer's link /c/{token} names one request and when the link ends,
// signed with the console's secret: "<base64(id)>.<expiry>.<mac>". It
// opens that request's customer view and nothing else.

// CustomerToken signs a link to request id valid until exp.
func CustomerToken(secret []byte, id string, exp time.Time) string {
	c := &Console{opt: Options{Secret: secret}}
	return c.customerToken(id, exp)
}

func (c *Console) customerToken(id string, exp time.Time) string {
	payload := b64.EncodeToString([]byte(id)) + "." + strconv.FormatInt(exp.Unix(), 10)
	return payload + "." + b64.EncodeToString(c.mac("customer", payload)[:18])
}

// CustomerLink is the full address of a request's customer link.
func CustomerLink(publicURL string, secret []byte, id string, exp time.Time) string {
	return strings.TrimSuffix(publicURL, "/") + "/c/" + CustomerToken(secret, id, exp)
}

// Errors of a customer link.
var (
	ErrLinkInvalid = errors.New("this link is not valid")
	ErrLinkExpired = errors.New("this link has expired")
)

// customerRequest checks a link's token and returns its request id.
func (c *Console) customerRequest(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", ErrLinkInvalid
	}
	payload := parts[0] + "." + parts[1]
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, c.mac("customer", payload)[:18]) {
		return "", ErrLinkInvalid
	}
	id, err := b64.DecodeString(parts[0])
	if err != nil || len(id) == 0 {
		return "", ErrLinkInvalid
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", ErrLinkInvalid
	}
	if c.opt.Now().Unix() >= exp {
		return "", ErrLinkExpired
	}
	return string(id), nil
}
