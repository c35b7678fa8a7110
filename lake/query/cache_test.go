package query

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
)

// TestCacheEvictsLeastRecentlyUsed: a cache bounded to three objects
// deletes the one used longest ago, never one a reader holds, and fetches
// an evicted object again when it is asked for.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	st := laketest.FakeS3(t, laketest.NewClock(time.Now()), "bucket", "lru")
	const size = 1000
	var keys []string
	for i := range 5 {
		k := fmt.Sprintf("d/%c.parquet", 'a'+i)
		if _, err := st.PutIfAbsent(ctx, k, []byte(strings.Repeat(string(rune('a'+i)), size))); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	a, b, c, d, e := keys[0], keys[1], keys[2], keys[3], keys[4]
	cache, err := lake.NewCache(st, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cache.MaxBytes = 3 * size
	cached := func(k string) bool {
		_, err := os.Stat(cache.Path(k))
		return err == nil
	}
	expect := func(want ...string) {
		t.Helper()
		var got []string
		for _, k := range keys {
			if cached(k) {
				got = append(got, k)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("cached %v, want %v", got, want)
		}
		if s := cache.Stats(); s.Bytes != int64(len(want))*size || s.Files != len(want) {
			t.Fatalf("stats %+v, want %d files of %d bytes", s, len(want), size)
		}
	}
	sync := func(k string) lake.SyncReport {
		t.Helper()
		rep, err := cache.Sync(ctx, []string{k})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	sync(a)
	sync(b)
	sync(c)
	expect(a, b, c)
	sync(a) // a is now the most recently used, b the least
	sync(d)
	expect(a, c, d)

	release, _, err := cache.Acquire(ctx, []string{c})
	if err != nil {
		t.Fatal(err)
	}
	sync(e) // c is the least recently used, but held: a goes
	expect(c, d, e)
	sync(b) // and d after it
	expect(b, c, e)
	release()

	before := cache.Stats()
	if rep := sync(a); rep.Downloaded != 1 {
		t.Fatalf("evicted a not fetched again: %+v", rep)
	}
	expect(a, b, e) // c, released, was the least recently used
	if rep := sync(a); rep.Fresh != 1 {
		t.Fatalf("a fetched again while cached: %+v", rep)
	}
	after := cache.Stats()
	if after.Misses-before.Misses != 1 || after.Hits-before.Hits != 1 || after.Evicted != 4 {
		t.Fatalf("stats %+v after %+v: want one miss, one hit, four evictions in all", after, before)
	}

	t.Run("held files outlast the bound", func(t *testing.T) {
		release, _, err := cache.Acquire(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		expect(keys...)
		release()
		expect(c, d, e)
	})
	t.Run("a failed fetch holds nothing", func(t *testing.T) {
		if _, _, err := cache.Acquire(ctx, []string{"d/missing.parquet"}); !errors.Is(err, lake.ErrNotFound) {
			t.Fatalf("error %v, want not found", err)
		}
		sync(a)
		sync(b)
		sync(c)
		expect(a, b, c)
	})
}
