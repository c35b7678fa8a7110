package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// TestPipelineOnS3ExactlyOnceAcrossWriterCrash runs the crash test with the
// lake on a real S3 server, opened as `--lake s3://bucket/prefix
// --s3-path-style` with the standard AWS environment; then compacts the
// lake and removes the crash's orphans, and reconciles again.
func TestPipelineOnS3ExactlyOnceAcrossWriterCrash(t *testing.T) {
	laketest.RequireS3(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", os.Getenv("TICKERLAKE_TEST_S3_ENDPOINT"))
	t.Setenv("AWS_ACCESS_KEY_ID", os.Getenv("TICKERLAKE_TEST_S3_ACCESS_KEY"))
	t.Setenv("AWS_SECRET_ACCESS_KEY", os.Getenv("TICKERLAKE_TEST_S3_SECRET_KEY"))
	t.Setenv("AWS_REGION", os.Getenv("TICKERLAKE_TEST_S3_REGION"))
	url := "s3://" + os.Getenv("TICKERLAKE_TEST_S3_BUCKET") + "/test/pipeline-" + time.Now().UTC().Format("20060102T150405.000000000")
	dir := t.TempDir()
	ctx := context.Background()
	store, err := openLake(ctx, &Globals{DataDir: dir}, LakeFlags{Lake: url, S3PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(store.String(), "s3://") {
		t.Fatalf("--lake %s opened %s", url, store)
	}
	eng, want := exactlyOnceAcrossWriterCrash(t, dir, store)
	cat := openTables(t, dir, store)
	orphans := orphanFiles(t, cat, store)

	// The server's clock is the real one: the jobs are told it is later.
	later := clock.NewManual(time.Now().Add(7 * time.Hour))
	rep, err := (&lake.Compactor{Store: store, Tables: cat}).Run(ctx)
	if err != nil || rep.Partitions == 0 {
		t.Fatalf("compaction: %+v, %v", rep, err)
	}
	// Run again, past the grace: nothing to merge, and with tables nothing
	// to delete: what compaction replaced is the janitor's.
	if rep, err = (&lake.Compactor{Store: store, Clock: later, Tables: cat}).Run(ctx); err != nil || rep.Partitions != 0 || rep.ObjectsDeleted != 0 {
		t.Fatalf("compaction again: %+v, %v; want nothing merged or deleted", rep, err)
	}
	jan, err := (&lake.Janitor{Store: store, Clock: later, Tables: cat}).Run(ctx)
	if err != nil || jan.Orphans < len(orphans) {
		t.Fatalf("janitor: %+v, %v; want the crash's %d orphans removed", jan, err, len(orphans))
	}
	for _, k := range orphans {
		if _, err := store.Get(ctx, k); err == nil {
			t.Fatalf("the crash's orphan %s is still there after the janitor", k)
		}
	}
	// What stays outside the current snapshots is what a live snapshot
	// still holds: the objects compaction replaced, kept for readers of the
	// older snapshots until those expire.
	if left := orphanFiles(t, cat, store); len(left) > 0 {
		t.Fatalf("no live snapshot holds %d objects after compaction and janitor, e.g. %s", len(left), left[0])
	}
	eng.RefreshEvery = 0
	reconcile(t, lakeKeys(t, eng, want), want)
	// Compaction merged the replayed rows away: the table, which alone
	// says what is stored, holds each emitted key (checkTables: once).
	for name, keys := range want {
		ds, _ := market.DatasetByName(name)
		got := map[string]bool{}
		for k := range laketest.TableKeys(t, cat, ds) {
			got[k] = true
		}
		sameKeys(t, name, "in the table", got, keys)
	}
	checkTables(t, cat, store, eng)
}
