package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// TestKafkaFlags parses the Kafka settings as a role's command line gives
// them and checks they are validated at start and logged without the
// password.
func TestKafkaFlags(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		parseErr string // kong refuses the line
		startErr string // the role refuses to start
	}{
		{name: "plaintext", args: []string{"--kafka-brokers", "b:9092"}},
		{name: "scram over tls", args: []string{"--kafka-brokers", "b:9096", "--kafka-sasl-mechanism", "scram-sha-512",
			"--kafka-sasl-username", "tickerlake", "--kafka-sasl-password", "hunter2", "--kafka-tls"}},
		{name: "unknown mechanism", args: []string{"--kafka-brokers", "b:9092", "--kafka-sasl-mechanism", "kerberos"},
			parseErr: "--kafka-sasl-mechanism must be one of"},
		{name: "mechanism without username", args: []string{"--kafka-brokers", "b:9092", "--kafka-sasl-mechanism", "plain", "--kafka-sasl-password", "hunter2"},
			startErr: "kafka sasl mechanism plain needs a username"},
		{name: "unreadable ca file", args: []string{"--kafka-brokers", "b:9092", "--kafka-tls", "--kafka-tls-ca-file", "/nonexistent/ca.pem"},
			startErr: "kafka tls ca file: open /nonexistent/ca.pem"},
		{name: "no brokers", args: nil, startErr: "--kafka-brokers (TICKERLAKE_KAFKA_BROKERS) is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cli CLI
			parser, err := kong.New(&cli, kong.Name("tickerlake"), kong.Exit(func(int) {}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = parser.Parse(append([]string{"processor"}, tc.args...))
			if tc.parseErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.parseErr) {
					t.Fatalf("parse: err = %v, want %q", err, tc.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			_, err = needKafka(cli.Processor.KafkaFlags, slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.startErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.startErr) {
					t.Fatalf("start: err = %v, want %q", err, tc.startErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(logs.String(), "hunter2") || !strings.Contains(logs.String(), "config.brokers=") {
				t.Errorf("start log leaks the password or omits the settings: %s", logs.String())
			}
			if strings.Contains(tc.name, "scram") && !strings.Contains(logs.String(), "config.sasl_password=<secret>") {
				t.Errorf("start log does not show the password as <secret>: %s", logs.String())
			}
		})
	}
}
