package temporalclient

import (
	"crypto/tls"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/config"
)

func TestOptionsCarryTLSCredentialsAndCodec(t *testing.T) {
	k, err := codec.NewKey("k-")
	if err != nil {
		t.Fatal(err)
	}
	cd, err := codec.New([]codec.Key{k}, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		TemporalAddress: "ns.acct.tmprl.cloud:7233", TemporalNamespace: "ns.acct",
		TemporalTLS: &tls.Config{ServerName: "ns.acct.tmprl.cloud", MinVersion: tls.VersionTLS12}, TemporalAPIKey: "secret", Codec: cd,
	}
	o := Options(cfg, zap.NewNop())
	if o.HostPort != cfg.TemporalAddress || o.Namespace != "ns.acct" {
		t.Fatalf("address %s namespace %s", o.HostPort, o.Namespace)
	}
	if o.ConnectionOptions.TLS == nil || o.ConnectionOptions.TLS.ServerName != "ns.acct.tmprl.cloud" || o.ConnectionOptions.TLS == cfg.TemporalTLS {
		t.Fatalf("TLS %+v (want a copy of the configured one)", o.ConnectionOptions.TLS)
	}
	if o.Credentials == nil {
		t.Fatal("no API key credentials")
	}
	p, err := o.DataConverter.ToPayload("13800138000")
	if err != nil || !codec.IsEncrypted(p) || strings.Contains(string(p.GetData()), "13800138000") {
		t.Fatalf("data converter does not encrypt: %v %v", p, err)
	}
	if o.FailureConverter == nil {
		t.Fatal("no failure converter")
	}

	// Without TLS, key or codec: plain gRPC and Temporal's converters.
	o = Options(&config.Config{TemporalAddress: "127.0.0.1:7233", TemporalNamespace: "default"}, zap.NewNop())
	if o.ConnectionOptions.TLS != nil || o.Credentials != nil {
		t.Fatalf("plain options carry TLS or credentials: %+v", o)
	}
	if p, err := o.DataConverter.ToPayload("x"); err != nil || codec.IsEncrypted(p) {
		t.Fatalf("plain data converter encrypts: %v", err)
	}
}
