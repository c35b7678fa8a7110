package lake

import (
	"cmp"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"golang.org/x/sync/errgroup"
)

// Cache mirrors objects of a remote Store in a local directory, under the
// same keys, so that DuckDB can read them without httpfs. Files are written
// to a temporary name and renamed into place, so a reader never opens a
// partial file; every download is checked against the store's ETag.
//
// With MaxBytes set the cache is bounded: past it, the least recently used
// files no reader holds (see Acquire) are deleted, and fetched again when a
// later query needs them.
type Cache struct {
	Store Store
	Dir   string
	Log   *slog.Logger
	Clock clock.Clock // default the system's
	// Parallel downloads (default 8).
	Parallel int
	// EvictAfter is how long a file no longer wanted stays, for queries
	// that bound it before the views changed (default 10m).
	EvictAfter time.Duration
	// MaxBytes bounds the cached files' total size (0: unbounded). Files
	// held by a reader stay even when they alone exceed it.
	MaxBytes int64

	mu       sync.Mutex
	manifest map[string]cacheEntry
	unwanted map[string]time.Time // key -> since when no view wants it
	used     map[string]uint64    // key -> tick of its last use; files from an earlier process count as oldest
	tick     uint64
	held     map[string]int // key -> readers holding it
	bytes    int64          // total size of the manifest's files
	stats    CacheStats
}

// CacheStats counts what the cache did since it was opened.
type CacheStats struct {
	Hits    int64 // keys asked for and found cached
	Misses  int64 // keys asked for and fetched
	Evicted int64 // files deleted to stay under MaxBytes
	Bytes   int64 // size of the cached files now
	Files   int   // cached files now
}

type cacheEntry struct {
	ETag string `json:"etag"`
	Size int64  `json:"size"`
}

const manifestName = ".manifest.json"

// SyncReport says what a sync did.
type SyncReport struct {
	Downloaded int
	Bytes      int64
	Fresh      int // already cached with the store's ETag
}

// objectGetter is a Store that returns an object's ETag with its body.
type objectGetter interface {
	GetObject(ctx context.Context, key string) ([]byte, ObjectInfo, error)
}

// NewCache opens the cache in dir, creating it.
func NewCache(store Store, dir string) (*Cache, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create cache dir: %w", err)
	}
	c := &Cache{Store: store, Dir: abs, manifest: map[string]cacheEntry{}, unwanted: map[string]time.Time{},
		used: map[string]uint64{}, held: map[string]int{}}
	b, err := os.ReadFile(filepath.Join(abs, manifestName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read cache manifest: %w", err)
	default:
		if err := json.Unmarshal(b, &c.manifest); err != nil {
			// A damaged manifest costs downloads, not correctness.
			c.manifest = map[string]cacheEntry{}
		}
	}
	for _, e := range c.manifest {
		c.bytes += e.Size
	}
	return c, nil
}

// Path is the local file of key.
func (c *Cache) Path(key string) string { return filepath.Join(c.Dir, filepath.FromSlash(key)) }

// Sync makes every key readable under Path. Committed objects never change,
// so a key cached with its size intact is not fetched again. Nothing holds
// the files afterwards: a bounded cache may evict them for the next sync.
func (c *Cache) Sync(ctx context.Context, keys []string) (SyncReport, error) {
	release, rep, err := c.Acquire(ctx, keys)
	release()
	return rep, err
}

// Acquire makes every key readable under Path, as Sync does, and holds the
// files until release is called: eviction passes over them. The most
// recently acquired files are the last to go.
func (c *Cache) Acquire(ctx context.Context, keys []string) (release func(), rep SyncReport, err error) {
	var need []ObjectInfo
	c.mu.Lock()
	c.tick++
	for _, k := range keys {
		c.held[k]++
		c.used[k] = c.tick
		if c.fresh(k, "") {
			rep.Fresh++
		} else {
			need = append(need, ObjectInfo{Key: k})
		}
	}
	c.stats.Hits += int64(rep.Fresh)
	c.stats.Misses += int64(len(need))
	c.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, k := range keys {
				if c.held[k]--; c.held[k] <= 0 {
					delete(c.held, k)
				}
			}
			if err := c.shrink(); err != nil {
				c.logger().Warn("evict cached files", "err", err)
			}
		})
	}
	if err = c.download(ctx, need, &rep); err != nil {
		release()
		return func() {}, rep, err
	}
	return release, rep, nil
}

// Stats reports the cache's counters and size.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Bytes, s.Files = c.bytes, len(c.manifest)
	return s
}

// shrink deletes the least recently used files nobody holds until the
// cache fits MaxBytes. The caller holds c.mu.
func (c *Cache) shrink() error {
	if c.MaxBytes <= 0 || c.bytes <= c.MaxBytes {
		return nil
	}
	victims := make([]string, 0, len(c.manifest))
	for k := range c.manifest {
		if c.held[k] == 0 {
			victims = append(victims, k)
		}
	}
	slices.SortFunc(victims, func(a, b string) int {
		if d := cmp.Compare(c.used[a], c.used[b]); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	removed := false
	var err error
	for _, k := range victims {
		if c.bytes <= c.MaxBytes {
			break
		}
		if err = c.remove(k); err != nil {
			break
		}
		c.stats.Evicted++
		removed = true
	}
	if removed {
		if serr := c.saveManifestLocked(); err == nil {
			err = serr
		}
	}
	return err
}

// remove deletes one cached file and forgets it. The caller holds c.mu.
func (c *Cache) remove(k string) error {
	if err := os.Remove(c.Path(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("evict %s: %w", k, err)
	}
	c.bytes -= c.manifest[k].Size
	delete(c.manifest, k)
	delete(c.unwanted, k)
	delete(c.used, k)
	return nil
}

func (c *Cache) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// SyncPrefix caches every object under prefix that match accepts (nil:
// all), re-fetching those whose ETag changed, and returns their keys.
func (c *Cache) SyncPrefix(ctx context.Context, prefix string, match func(key string) bool) ([]string, SyncReport, error) {
	var rep SyncReport
	objs, err := c.Store.Objects(ctx, prefix)
	if err != nil {
		return nil, rep, err
	}
	var keys []string
	var need []ObjectInfo
	c.mu.Lock()
	c.tick++
	for _, o := range objs {
		if match != nil && !match(o.Key) {
			continue
		}
		keys = append(keys, o.Key)
		c.used[o.Key] = c.tick
		if c.fresh(o.Key, o.ETag) {
			rep.Fresh++
		} else {
			need = append(need, o)
		}
	}
	c.stats.Hits += int64(rep.Fresh)
	c.stats.Misses += int64(len(need))
	c.mu.Unlock()
	err = c.download(ctx, need, &rep)
	return keys, rep, err
}

// fresh reports whether key is cached, with etag when one is given.
func (c *Cache) fresh(key, etag string) bool {
	e, ok := c.manifest[key]
	if !ok || (etag != "" && e.ETag != etag) {
		return false
	}
	fi, err := os.Stat(c.Path(key))
	return err == nil && fi.Size() == e.Size
}

func (c *Cache) download(ctx context.Context, need []ObjectInfo, rep *SyncReport) error {
	if len(need) == 0 {
		return nil
	}
	par := c.Parallel
	if par <= 0 {
		par = 8
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	var mu sync.Mutex
	for _, o := range need {
		g.Go(func() error {
			e, err := c.fetch(gctx, o)
			if err != nil {
				return err
			}
			mu.Lock()
			rep.Downloaded++
			rep.Bytes += e.Size
			mu.Unlock()
			c.mu.Lock()
			c.bytes += e.Size - c.manifest[o.Key].Size
			c.manifest[o.Key] = e
			if _, ok := c.used[o.Key]; !ok {
				c.used[o.Key] = c.tick
			}
			c.mu.Unlock()
			return nil
		})
	}
	err := g.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if serr := c.shrink(); err == nil {
		err = serr
	}
	if serr := c.saveManifestLocked(); err == nil {
		err = serr
	}
	return err
}

// fetch downloads one object and renames it into place.
func (c *Cache) fetch(ctx context.Context, o ObjectInfo) (cacheEntry, error) {
	var (
		data []byte
		info ObjectInfo
		err  error
	)
	if g, ok := c.Store.(objectGetter); ok {
		data, info, err = g.GetObject(ctx, o.Key)
	} else {
		data, err = c.Store.Get(ctx, o.Key)
	}
	if err != nil {
		return cacheEntry{}, fmt.Errorf("cache %s: %w", o.Key, err)
	}
	etag := info.ETag
	if etag == "" {
		etag = o.ETag
	}
	if err := checkETag(data, etag); err != nil {
		return cacheEntry{}, fmt.Errorf("cache %s: %w", o.Key, err)
	}
	if err := writeAtomic(c.Path(o.Key), data); err != nil {
		return cacheEntry{}, fmt.Errorf("cache %s: %w", o.Key, err)
	}
	return cacheEntry{ETag: etag, Size: int64(len(data))}, nil
}

// checkETag compares a body with an ETag that is its MD5 (single-part
// uploads); multipart and non-MD5 ETags cannot be checked this way.
func checkETag(data []byte, etag string) error {
	t := strings.Trim(etag, `"`)
	if len(t) != 32 || strings.Contains(t, "-") {
		return nil
	}
	sum := md5.Sum(data)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, t) {
		return fmt.Errorf("body md5 %s does not match etag %s", got, t)
	}
	return nil
}

func writeAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// saveManifestLocked writes the manifest; the caller holds c.mu.
func (c *Cache) saveManifestLocked() error {
	b, err := json.Marshal(c.manifest)
	if err != nil {
		return fmt.Errorf("encode cache manifest: %w", err)
	}
	if err := writeAtomic(filepath.Join(c.Dir, manifestName), b); err != nil {
		return fmt.Errorf("write cache manifest: %w", err)
	}
	return nil
}

// Evict deletes cached files that are not in want and have not been wanted
// for EvictAfter: what compaction and retention replaced.
func (c *Cache) Evict(want map[string]bool) (int, error) {
	now := clock.Or(c.Clock).Now
	after := c.EvictAfter
	if after == 0 {
		after = 10 * time.Minute
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k := range c.manifest {
		if want[k] {
			delete(c.unwanted, k)
			continue
		}
		since, ok := c.unwanted[k]
		if !ok {
			c.unwanted[k] = now()
			continue
		}
		if now().Sub(since) < after || c.held[k] > 0 {
			continue
		}
		if err := c.remove(k); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		return n, c.saveManifestLocked()
	}
	return n, nil
}
