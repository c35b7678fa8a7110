package stream

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestConfigCluster(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca, _ := testCA(t)
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string // "" when valid
		secure  bool   // builds its own transport
	}{
		{name: "plaintext", cfg: Config{Brokers: []string{"b:9092"}}},
		{name: "none spelled out", cfg: Config{SASLMechanism: "none"}},
		{name: "plain", cfg: Config{SASLMechanism: "plain", SASLUsername: "u", SASLPassword: "p"}, secure: true},
		{name: "scram-sha-256 any case", cfg: Config{SASLMechanism: "SCRAM-SHA-256", SASLUsername: "u", SASLPassword: "p"}, secure: true},
		{name: "scram-sha-512", cfg: Config{SASLMechanism: "scram-sha-512", SASLUsername: "u", SASLPassword: "p"}, secure: true},
		{name: "tls with system roots", cfg: Config{TLS: true}, secure: true},
		{name: "tls with ca file", cfg: Config{TLS: true, TLSCAFile: ca}, secure: true},
		{name: "mechanism without username", cfg: Config{SASLMechanism: "plain", SASLPassword: "p"}, wantErr: "kafka sasl mechanism plain needs a username"},
		{name: "mechanism without password", cfg: Config{SASLMechanism: "scram-sha-512", SASLUsername: "u"}, wantErr: "kafka sasl mechanism scram-sha-512 needs a password"},
		{name: "username without mechanism", cfg: Config{SASLUsername: "u", SASLPassword: "p"}, wantErr: "without a mechanism"},
		{name: "unknown mechanism", cfg: Config{SASLMechanism: "gssapi", SASLUsername: "u", SASLPassword: "p"}, wantErr: `kafka sasl mechanism "gssapi": want none, plain, scram-sha-256 or scram-sha-512`},
		{name: "unreadable ca file", cfg: Config{TLS: true, TLSCAFile: filepath.Join(dir, "missing.pem")}, wantErr: "kafka tls ca file: open " + filepath.Join(dir, "missing.pem")},
		{name: "ca file without a certificate", cfg: Config{TLS: true, TLSCAFile: notPEM}, wantErr: "no PEM certificate in it"},
		{name: "ca file with tls off", cfg: Config{TLSCAFile: ca}, wantErr: "tls is off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := tc.cfg.Cluster()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := k.transport != nil; got != tc.secure {
				t.Errorf("own transport = %v, want %v", got, tc.secure)
			}
			if d := k.Dialer("x"); (d.SASLMechanism != nil || d.TLS != nil) != tc.secure {
				t.Errorf("dialer sasl %v tls %v, want secured %v", d.SASLMechanism, d.TLS, tc.secure)
			}
		})
	}
}

func TestConfigLogsNoPassword(t *testing.T) {
	var buf bytes.Buffer
	cfg := Config{Brokers: []string{"b:9092"}, SASLMechanism: "scram-sha-512", SASLUsername: "tickerlake", SASLPassword: "hunter2", TLS: true}
	slog.New(slog.NewTextHandler(&buf, nil)).Info("kafka", "config", cfg, "password", cfg.SASLPassword)
	out := buf.String()
	if strings.Contains(out, "hunter2") {
		t.Fatalf("password in log line: %s", out)
	}
	for _, want := range []string{"config.sasl_password=<secret>", "password=<secret>", "config.sasl_username=tickerlake", "config.sasl_mechanism=scram-sha-512", "config.tls=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("log line lacks %s: %s", want, out)
		}
	}
}

// TestSASL runs the clients the roles use against a broker that demands
// SASL, over the real Kafka protocol, for each mechanism.
func TestSASL(t *testing.T) {
	for _, mech := range []string{SASLPlain, SASLScramSHA256, SASLScramSHA512} {
		t.Run(mech, func(t *testing.T) {
			brokers := newCluster(t, kfake.EnableSASL(), kfake.Superuser(strings.ToUpper(mech), "tickerlake", "s3cret")).Brokers
			right := Config{Brokers: brokers, SASLMechanism: mech, SASLUsername: "tickerlake", SASLPassword: "s3cret"}
			roundTrip(t, right)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			wrong := right
			wrong.SASLPassword = "guess"
			k, err := wrong.Cluster()
			if err != nil {
				t.Fatal(err)
			}
			_, err = EnsureTopics(ctx, k, -1)
			if err == nil || !strings.Contains(err.Error(), "SASL Authentication Failed") {
				t.Errorf("wrong password: err = %v, want SASL Authentication Failed", err)
			}
			t.Logf("wrong password: %v", err)

			err = Ping(ctx, Cluster{Brokers: brokers})
			if err == nil || !strings.Contains(err.Error(), "it may require SASL") {
				t.Errorf("no SASL: err = %v, want one naming SASL", err)
			}
			t.Logf("no sasl: %v", err)
		})
	}
}

// TestTLS speaks TLS and SCRAM to a broker with a certificate from a private
// CA, trusted through the CA file.
func TestTLS(t *testing.T) {
	ca, cert := testCA(t)
	brokers := newCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "tickerlake", "s3cret")).Brokers
	roundTrip(t, Config{Brokers: brokers, SASLMechanism: SASLScramSHA256, SASLUsername: "tickerlake", SASLPassword: "s3cret", TLS: true, TLSCAFile: ca})

	// Without the CA the broker's certificate is not trusted.
	k, err := Config{Brokers: brokers, SASLMechanism: SASLScramSHA256, SASLUsername: "tickerlake", SASLPassword: "s3cret", TLS: true}.Cluster()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Ping(ctx, k); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: err = %v, want a certificate error", err)
	}
}

// roundTrip creates the topics, publishes and consumes through a consumer
// group, reads the tail and checks group membership, all with cfg.
func roundTrip(t *testing.T, cfg Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := cfg.Cluster()
	if err != nil {
		t.Fatal(err)
	}
	states, err := EnsureTopics(ctx, k, -1)
	if err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	if len(states) != len(TopicSpecs()) || !states[0].Created {
		t.Fatalf("EnsureTopics = %+v, want every topic created", states)
	}
	if err := CheckTopics(ctx, k, TopicSpecs()); err != nil {
		t.Fatalf("CheckTopics: %v", err)
	}
	w := NewWriter(k, TaskQueue)
	if err := WriteMessages(ctx, w, kafka.Message{Key: []byte("AAPL"), Value: []byte(`{"n":1}`)}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(ReaderConfig{Kafka: k, Group: "sasl-test", Topics: []string{TaskQueue}, ClientID: "sasl-test-reader"})
	defer r.Close()
	m, err := FetchMessage(ctx, r)
	if err != nil {
		t.Fatalf("consume: %v", err)
	}
	if string(m.Key) != "AAPL" || string(m.Value) != `{"n":1}` {
		t.Errorf("consumed %s=%s, want AAPL={\"n\":1}", m.Key, m.Value)
	}
	if n, err := GroupMember(ctx, k, "sasl-test", "sasl-test-reader"); err != nil || n == 0 {
		t.Errorf("GroupMember = %d, %v; want partitions assigned", n, err)
	}
	if err := CommitMessages(ctx, r, m); err != nil {
		t.Fatalf("commit: %v", err)
	}
	tail, err := Tail(ctx, k, TaskQueue, 10)
	if err != nil || len(tail) != 1 {
		t.Errorf("Tail = %d messages, %v; want 1", len(tail), err)
	}
}

// testCA writes a CA certificate to a file and returns its path and a
// certificate for 127.0.0.1 it signed.
func testCA(t *testing.T) (string, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tickerlake test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
