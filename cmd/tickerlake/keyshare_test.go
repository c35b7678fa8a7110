package main

import (
	"slices"
	"testing"

	"github.com/alecthomas/kong"
)

// TestCollectorReplicasSpendDisjointKeys parses the collector's command line
// as each StatefulSet pod would see it and checks no two replicas hold one
// key, and that a share that cannot be had stops the collector at start.
func TestCollectorReplicasSpendDisjointKeys(t *testing.T) {
	t.Setenv("TWELVEDATA_API_KEYS", "k0,k1,k2,k3,k4")
	t.Setenv("TWELVEDATA_KEY_SHARES", "2")
	t.Setenv("TWELVEDATA_KEY_SHARE", "ordinal")
	want := map[string][]string{"collector-0": {"k0", "k2", "k4"}, "collector-1": {"k1", "k3"}}
	for host, keys := range want {
		t.Run(host, func(t *testing.T) {
			t.Setenv("HOSTNAME", host)
			cli := parseCLI(t, "collector", "--kafka-brokers", "127.0.0.1:1")
			got, err := cli.Collector.keys()
			if err != nil || !slices.Equal(got, keys) {
				t.Errorf("keys %v, %v; want %v", got, err, keys)
			}
		})
	}
	t.Run("explicit share", func(t *testing.T) {
		cli := parseCLI(t, "collector", "--kafka-brokers", "127.0.0.1:1", "--twelvedata-key-share", "1")
		if got, _ := cli.Collector.keys(); !slices.Equal(got, []string{"k1", "k3"}) {
			t.Errorf("keys %v, want [k1 k3]", got)
		}
	})
	for _, bad := range []struct{ name, host, shares string }{
		{"ordinal past the shares", "collector-2", "2"},
		{"more shares than keys", "collector-0", "6"},
		{"no ordinal in the host name", "laptop", "2"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			t.Setenv("HOSTNAME", bad.host)
			t.Setenv("TWELVEDATA_KEY_SHARES", bad.shares)
			var cli CLI
			p, err := kong.New(&cli, kong.Exit(func(int) {}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Parse([]string{"collector", "--kafka-brokers", "127.0.0.1:1"}); err == nil {
				t.Errorf("collector on %s with %s shares started", bad.host, bad.shares)
			} else {
				t.Log(err)
			}
		})
	}
}
