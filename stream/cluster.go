package stream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// SASL mechanisms Config accepts.
const (
	SASLNone        = "none"
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
)

// Secret is a credential: it prints as <secret>, never its value.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<secret>"
}

// LogValue keeps the secret out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Config is how to reach the brokers, as the operator states it. Cluster
// validates it once, at start, and every client the process makes is built
// from the Cluster it returns.
type Config struct {
	// Brokers are the bootstrap addresses, host:port.
	Brokers []string
	// SASLMechanism is none (default, also ""), plain, scram-sha-256 or
	// scram-sha-512.
	SASLMechanism string
	SASLUsername  string
	SASLPassword  Secret
	// TLS encrypts every connection to the brokers (default off), checking
	// their certificates against TLSCAFile, or the system's roots when empty.
	TLS       bool
	TLSCAFile string
}

// LogValue describes the settings without the password.
func (c Config) LogValue() slog.Value {
	mech := strings.ToLower(c.SASLMechanism)
	if mech == "" {
		mech = SASLNone
	}
	attrs := []slog.Attr{slog.Any("brokers", c.Brokers), slog.String("sasl_mechanism", mech)}
	if mech != SASLNone {
		attrs = append(attrs, slog.String("sasl_username", c.SASLUsername), slog.String("sasl_password", c.SASLPassword.String()))
	}
	attrs = append(attrs, slog.Bool("tls", c.TLS))
	if c.TLSCAFile != "" {
		attrs = append(attrs, slog.String("tls_ca_file", c.TLSCAFile))
	}
	return slog.GroupValue(attrs...)
}

// Cluster checks the settings and builds what every client shares: the SASL
// mechanism, the TLS configuration and one transport. Its errors name the
// setting that is wrong.
func (c Config) Cluster() (Cluster, error) {
	k := Cluster{Brokers: c.Brokers}
	var err error
	if k.sasl, err = c.mechanism(); err != nil {
		return Cluster{}, err
	}
	if k.tls, err = c.tlsConfig(); err != nil {
		return Cluster{}, err
	}
	if k.sasl != nil || k.tls != nil {
		k.transport = &kafka.Transport{
			Dial: (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
			SASL: k.sasl,
			TLS:  k.tls,
		}
	}
	return k, nil
}

func (c Config) mechanism() (sasl.Mechanism, error) {
	mech := strings.ToLower(c.SASLMechanism)
	if mech == "" || mech == SASLNone {
		if c.SASLUsername != "" || c.SASLPassword != "" {
			return nil, errors.New("kafka sasl username or password set without a mechanism: set the sasl mechanism (plain, scram-sha-256 or scram-sha-512)")
		}
		return nil, nil
	}
	if c.SASLUsername == "" {
		return nil, fmt.Errorf("kafka sasl mechanism %s needs a username", mech)
	}
	if c.SASLPassword == "" {
		return nil, fmt.Errorf("kafka sasl mechanism %s needs a password", mech)
	}
	switch mech {
	case SASLPlain:
		return plain.Mechanism{Username: c.SASLUsername, Password: string(c.SASLPassword)}, nil
	case SASLScramSHA256, SASLScramSHA512:
		algo := scram.SHA256
		if mech == SASLScramSHA512 {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, c.SASLUsername, string(c.SASLPassword))
		if err != nil {
			return nil, fmt.Errorf("kafka sasl %s: %w", mech, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("kafka sasl mechanism %q: want none, plain, scram-sha-256 or scram-sha-512", c.SASLMechanism)
}

func (c Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		if c.TLSCAFile != "" {
			return nil, fmt.Errorf("kafka tls ca file %s given but tls is off: turn tls on", c.TLSCAFile)
		}
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSCAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(c.TLSCAFile)
	if err != nil {
		return nil, fmt.Errorf("kafka tls ca file: %w", err)
	}
	cfg.RootCAs = x509.NewCertPool()
	if !cfg.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("kafka tls ca file %s: no PEM certificate in it", c.TLSCAFile)
	}
	return cfg, nil
}

// Cluster is the brokers and how to authenticate to them, the one place
// every reader, writer and admin client of the process is built from. A
// Cluster with only Brokers set speaks plaintext without SASL, as the
// embedded broker and tests do; Config.Cluster builds one with SASL or TLS.
type Cluster struct {
	Brokers []string

	sasl      sasl.Mechanism
	tls       *tls.Config
	transport *kafka.Transport // nil: kafka-go's DefaultTransport
}

// roundTripper is what writers and admin clients send their requests
// through: one shared transport, so their connections are pooled.
func (k Cluster) roundTripper() kafka.RoundTripper {
	if k.transport == nil {
		return kafka.DefaultTransport
	}
	return k.transport
}

// Dialer opens single connections (readers, metadata checks) with the
// cluster's SASL and TLS.
func (k Cluster) Dialer(clientID string) *kafka.Dialer {
	return &kafka.Dialer{ClientID: clientID, Timeout: 10 * time.Second, DualStack: true, SASLMechanism: k.sasl, TLS: k.tls}
}

// Client is an admin client; timeout bounds each request (0: kafka-go's
// default).
func (k Cluster) Client(timeout time.Duration) (*kafka.Client, error) {
	if len(k.Brokers) == 0 {
		return nil, errors.New("no kafka brokers configured")
	}
	return &kafka.Client{Addr: kafka.TCP(k.Brokers...), Timeout: timeout, Transport: k.roundTripper()}, nil
}

// dial opens one connection to broker, bypassing the transport's metadata
// cache.
func (k Cluster) dial(ctx context.Context, broker string) (*kafka.Conn, error) {
	conn, err := k.Dialer("").DialContext(ctx, "tcp", broker)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", broker, err)
	}
	return conn, nil
}

// explain adds the likely cause to an error a broker gave by hanging up: a
// broker that requires SASL or TLS closes the connection on a client that
// speaks neither, which kafka-go reports as a bare EOF.
func (k Cluster) explain(err error) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		return err
	}
	var missing []string
	if k.sasl == nil {
		missing = append(missing, "SASL (set the kafka sasl mechanism, username and password)")
	}
	if k.tls == nil {
		missing = append(missing, "TLS (turn kafka tls on)")
	}
	if len(missing) == 0 {
		return err
	}
	return fmt.Errorf("%w: the broker closed the connection; it may require %s", err, strings.Join(missing, " or "))
}
