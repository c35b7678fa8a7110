package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/stream"
)

// role is one tickerlake process of the test.
type role struct {
	name string
	cmd  *exec.Cmd
	done chan error
}

func startRole(t *testing.T, bin, dataDir, name string, args ...string) *role {
	t.Helper()
	cmd := exec.Command(bin, append([]string{name, "--data-dir", dataDir}, args...)...)
	logf, err := os.Create(filepath.Join(dataDir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &role{name: name, cmd: cmd, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return r
}

// stop sends SIGTERM and requires a clean exit: the role commits what it
// holds and exits 0.
func (r *role) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("%s exited with %v after SIGTERM", r.name, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30s of SIGTERM", r.name)
	}
}

func waitListening(t *testing.T, addr string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// TestRolesAsSeparateProcesses runs broker, collector, processor and writer
// as separate processes over one broker, as Kubernetes would; stops the
// writer with SIGTERM mid-stream and starts another; then reconciles the
// lake with what the source emitted.
func TestRolesAsSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tickerlake")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	broker := startRole(t, bin, dir, "broker", "--addr", addr)
	waitListening(t, addr)
	kafka := []string{"--kafka-brokers", addr}
	processor := startRole(t, bin, dir, "processor", kafka...)
	collector := startRole(t, bin, dir, "collector", append(kafka, "--seed", "7", "--defect-rate", "0")...)
	writer := startRole(t, bin, dir, "writer", kafka...)

	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 7}))
	tasks := testTasks()
	want := expectedKeys(t, src, tasks)
	w := stream.NewWriter(stream.Cluster{Brokers: []string{addr}}, stream.TaskQueue)
	defer w.Close()
	if err := jobs.Publish(context.Background(), w, tasks[:2]...); err != nil {
		t.Fatal(err)
	}

	store, err := lake.NewDir(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		// The writer commits through the daily_bars table, read here as
		// any path-based reader would.
		_, files, ok, err := tables.NewReader(store).Visible(context.Background(), "daily_bars", "")
		if err != nil {
			t.Fatal(err)
		}
		if ok && len(files) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer committed nothing within 60s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Mid-stream: the option tasks are published while the writer stops.
	if err := jobs.Publish(context.Background(), w, tasks[2:]...); err != nil {
		t.Fatal(err)
	}
	writer.stop(t)
	writer = startRole(t, bin, dir, "writer", kafka...)

	eng, err := query.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	reconcile(t, waitForLake(t, eng, want, 90*time.Second), want)
	for _, r := range []*role{writer, collector, processor, broker} {
		r.stop(t)
	}
	// Each writer stopped cleanly, committing its offsets after its last
	// commit: nothing was replayed, so each key is stored once.
	reconcileStored(t, store, want, nil)
}
