package lake_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
)

// stores are the Store implementations every contract test runs against.
func stores(t *testing.T, clock *laketest.Clock) map[string]lake.Store {
	dir, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]lake.Store{
		"dir":       dir,
		"s3":        laketest.FakeS3(t, clock, "lake", "tl/test"),
		"s3-bucket": laketest.FakeS3(t, clock, "bare", ""),
	}
	if real, ok := laketest.S3FromEnv(t); ok {
		m["versitygw"] = real
	}
	return m
}

func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	clock := laketest.NewClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	for name, st := range stores(t, clock) {
		t.Run(name, func(t *testing.T) {
			created, err := st.PutIfAbsent(ctx, "a/b/one.parquet", []byte("first"))
			if err != nil || !created {
				t.Fatalf("first put: created %v, %v", created, err)
			}
			created, err = st.PutIfAbsent(ctx, "a/b/one.parquet", []byte("second"))
			if err != nil || created {
				t.Fatalf("second put: created %v, %v; want false, nil", created, err)
			}
			got, err := st.Get(ctx, "a/b/one.parquet")
			if err != nil || string(got) != "first" {
				t.Fatalf("get: %q, %v; the first write must stand", got, err)
			}
			if _, err := st.Get(ctx, "a/b/missing"); !errors.Is(err, lake.ErrNotFound) {
				t.Fatalf("get missing: %v, want ErrNotFound", err)
			}
			for _, k := range []string{"a/c/two.csv", "a/b/zero.json", "ab/other"} {
				if _, err := st.PutIfAbsent(ctx, k, []byte(k)); err != nil {
					t.Fatal(err)
				}
			}
			keys, err := st.List(ctx, "a/")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"a/b/one.parquet", "a/b/zero.json", "a/c/two.csv"}; fmt.Sprint(keys) != fmt.Sprint(want) {
				t.Fatalf("list a/: %v, want %v", keys, want)
			}
			objs, err := st.Objects(ctx, "a/b/")
			if err != nil || len(objs) != 2 || objs[0].Size != 5 || objs[0].Modified.IsZero() {
				t.Fatalf("objects a/b/: %+v, %v", objs, err)
			}
			if err := st.Delete(ctx, "a/b/one.parquet"); err != nil {
				t.Fatal(err)
			}
			if err := st.Delete(ctx, "a/b/one.parquet"); err != nil {
				t.Fatalf("deleting a missing object: %v", err)
			}
			if _, err := st.Get(ctx, "a/b/one.parquet"); !errors.Is(err, lake.ErrNotFound) {
				t.Fatalf("get deleted: %v", err)
			}
		})
	}
}

// TestStorePutIfAbsentRace has writers race for one key: exactly one
// creates it and every reader sees that one's bytes.
func TestStorePutIfAbsentRace(t *testing.T) {
	ctx := context.Background()
	clock := laketest.NewClock(time.Now())
	for name, st := range stores(t, clock) {
		t.Run(name, func(t *testing.T) {
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					created, err := st.PutIfAbsent(ctx, "race/key", bytes.Repeat([]byte{byte('a' + i)}, 1<<16))
					if err != nil {
						t.Error(err)
					}
					if created {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d writers created the key, want 1", wins.Load())
			}
			b, err := st.Get(ctx, "race/key")
			if err != nil || len(b) != 1<<16 || !bytes.Equal(b, bytes.Repeat(b[:1], len(b))) {
				t.Fatalf("object is %d bytes of mixed content, %v", len(b), err)
			}
		})
	}
}

func TestParseS3URL(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix, err string }{
		{in: "s3://bucket/lake", bucket: "bucket", prefix: "lake"},
		{in: "s3://bucket/a/b/", bucket: "bucket", prefix: "a/b"},
		{in: "s3://bucket", bucket: "bucket"},
		{in: "/data/lake", err: "want s3://bucket/prefix"},
		{in: "s3:///prefix", err: "want s3://bucket/prefix"},
		{in: "s3://b/p?x=1", err: "not allowed"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			b, p, err := lake.ParseS3URL(tc.in)
			if tc.err != "" {
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.err)) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || b != tc.bucket || p != tc.prefix {
				t.Fatalf("got %q %q %v", b, p, err)
			}
		})
	}
}
