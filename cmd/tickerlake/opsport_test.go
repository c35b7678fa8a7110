package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ops"
	"github.com/tickerlake/tickerlake/stream"
)

// readyz polls addr's /readyz until its code is want or within has passed,
// and returns the last report.
func readyz(t *testing.T, addr string, want int, within time.Duration) ops.Report {
	t.Helper()
	deadline := time.Now().Add(within)
	var (
		rep  ops.Report
		code int
	)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			code = resp.StatusCode
			rep = ops.Report{}
			err = json.NewDecoder(resp.Body).Decode(&rep)
			resp.Body.Close()
		}
		if err == nil && code == want {
			return rep
		}
		if time.Now().After(deadline) {
			t.Errorf("/readyz: %d %+v (err %v) after %s, want %d", code, rep, err, within, want)
			return rep
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func failing(rep ops.Report) map[string]string {
	out := map[string]string{}
	for _, c := range rep.Checks {
		if !c.OK {
			out[c.Name] = c.Error
		}
	}
	return out
}

// TestWriterReadyzFollowsBroker runs the writer role with its ops port: it
// turns ready once it has joined its group, not ready while the broker is
// down, and ready again when the broker returns with its data dir.
func TestWriterReadyzFollowsBroker(t *testing.T) {
	dir := t.TempDir()
	addr, opsAddr := freeAddr(t), freeAddr(t)
	kdir := filepath.Join(dir, "kafka")
	b, err := stream.StartBroker(addr, kdir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if b != nil {
			b.Close()
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &WriterCmd{
		KafkaFlags: KafkaFlags{Brokers: []string{addr}, KafkaWait: 30 * time.Second},
		LakeFlags:  LakeFlags{Lake: filepath.Join(dir, "lake")},
		OpsFlags:   OpsFlags{OpsAddr: opsAddr},
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(&Globals{DataDir: dir}, ctx, testLogger(t)) }()

	rep := readyz(t, opsAddr, http.StatusOK, 60*time.Second)
	names := map[string]bool{}
	for _, c := range rep.Checks {
		names[c.Name] = true
	}
	for _, n := range []string{"kafka", "topics", "group writer", "lake"} {
		if !names[n] {
			t.Errorf("ready report lacks check %q: %+v", n, rep.Checks)
		}
	}

	b.Close()
	down := failing(readyz(t, opsAddr, http.StatusServiceUnavailable, 30*time.Second))
	select {
	case err := <-done:
		t.Fatalf("writer stopped when the broker did: %v", err)
	default:
	}
	if down["kafka"] == "" {
		t.Errorf("broker down, yet kafka passes: %v", down)
	}
	t.Logf("broker down: %v", down)

	if b, err = stream.StartBroker(addr, kdir, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	readyz(t, opsAddr, http.StatusOK, 90*time.Second)
	t.Logf("ready again %s after the broker returned", time.Since(start).Round(10*time.Millisecond))

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("writer stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("writer did not stop within 30s")
	}
}
