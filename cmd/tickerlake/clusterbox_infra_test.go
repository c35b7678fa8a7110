package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"
)

// This file stands up the servers that stand in for the local overlay's
// infrastructure objects: a Kafka-protocol broker for Strimzi's Kafka,
// versitygw for the S3 store, and the PostgreSQL and InfluxDB servers the
// test command started. Kafka and S3 sit behind fault-injecting proxies.

// faultProxy is a TCP proxy that can be cut off and restored.
type faultProxy struct {
	p *toxiproxy.Proxy
}

// newFaultProxy listens on listen (host:port, or host:0) and forwards to
// upstream.
func newFaultProxy(t *testing.T, name, listen, upstream string) *faultProxy {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.New(io.Discard))
	p := toxiproxy.NewProxy(srv, name, listen, upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("proxy %s: %v", name, err)
	}
	t.Cleanup(p.Stop)
	return &faultProxy{p: p}
}

// Addr is where clients connect.
func (f *faultProxy) Addr() string { return f.p.Listen }

// cut refuses new connections and drops the open ones.
func (f *faultProxy) cut() { f.p.Stop() }

// restore accepts connections again, on the same address.
func (f *faultProxy) restore(t *testing.T) {
	t.Helper()
	if err := f.p.Start(); err != nil {
		t.Fatalf("restore proxy: %v", err)
	}
}

// advertisedListener makes the broker tell clients to reach it through the
// proxy, so that every connection, not only the bootstrap one, crosses it.
type advertisedListener struct {
	net.Listener
	addr net.Addr
}

func (l advertisedListener) Addr() net.Addr { return l.addr }

// startBoxKafka starts a Kafka-protocol broker with no topics (the topics
// Job creates them) behind a fault proxy; it returns the proxy.
func startBoxKafka(t *testing.T) *faultProxy {
	t.Helper()
	front, err := net.ResolveTCPAddr("tcp", freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	back := freeAddr(t)
	_, backPort, _ := net.SplitHostPort(back)
	var port int
	fmt.Sscan(backPort, &port)
	c, err := kfake.NewCluster(
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			l, err := net.Listen(network, back)
			if err != nil {
				return nil, err
			}
			return advertisedListener{Listener: l, addr: front}, nil
		}),
	)
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(c.Close)
	return newFaultProxy(t, "kafka", front.String(), back)
}

// startBoxS3 starts versitygw with the overlay's credentials behind a fault
// proxy; it returns the proxy. The binary is the one the test command built.
func startBoxS3(t *testing.T, root, access, secret, region string) *faultProxy {
	t.Helper()
	bin := os.Getenv("TICKERLAKE_TEST_VERSITYGW_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../../.tools/versitygw")
	}
	if _, err := os.Stat(bin); err != nil {
		needServer(t, "versitygw (scripts/services/versitygw.sh builds it into .tools/)")
	}
	dir := filepath.Join(root, "versitygw")
	for _, d := range []string{"data", "meta"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--access", access, "--secret", secret, "--region", region, "--port", addr, "--quiet",
		"posix", "--sidecar", filepath.Join(dir, "meta"), filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logf.Close() })
	waitListening(t, addr)
	return newFaultProxy(t, "s3", "127.0.0.1:0", addr)
}

// needServer skips locally, and fails under CI, when a server the test needs
// is absent.
func needServer(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true; the test command starts it", what)
	}
	t.Skipf("%s is not available; run the test command (bash scripts/test.sh) to start it", what)
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func(context.Context) (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ok, err := cond(ctx)
		cancel()
		if ok {
			return
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s (last error: %v)", what, within, last)
}
