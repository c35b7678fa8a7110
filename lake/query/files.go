package query

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/tickerlake/tickerlake/lake"
)

// Files makes lake objects readable by DuckDB. A lake on the local
// filesystem is read in place; a lake on S3 through a local cache synced
// from it. An httpfs implementation would return s3:// URLs instead.
type Files interface {
	// Paths makes the objects under keys readable and returns where
	// DuckDB reads each.
	Paths(ctx context.Context, keys []string) ([]string, error)
	// Acquire is Paths that also keeps the objects readable until
	// release is called.
	Acquire(ctx context.Context, keys []string) (paths []string, release func(), err error)
	// Roots are the local directories those paths lie in: the only ones
	// read-only SQL may read.
	Roots() []string
	// Resolve turns a name written in SQL (s3://bucket/prefix/...) into one
	// DuckDB can read; ok is false when the name is not the lake's.
	Resolve(ctx context.Context, name string) (resolved string, ok bool, err error)
	// Settle is told which keys the views use now, so that what they no
	// longer use can be dropped.
	Settle(want map[string]bool) error
}

// DefaultCacheSize bounds a remote lake's local cache when nothing else
// is said: 2 GiB.
const DefaultCacheSize int64 = 2 << 30

// NewFiles picks how DuckDB reads store: in place for a *lake.Dir,
// through a cache in cacheDir of DefaultCacheSize for an S3 lake.
func NewFiles(store lake.Store, cacheDir string) (Files, error) {
	return NewFilesWith(store, cacheDir, 0)
}

// NewFilesWith is NewFiles with the cache bounded to cacheSize bytes
// (0: DefaultCacheSize; negative: unbounded).
func NewFilesWith(store lake.Store, cacheDir string, cacheSize int64) (Files, error) {
	switch s := store.(type) {
	case *lake.Dir:
		return localFiles{s}, nil
	case *lake.S3:
		if cacheDir == "" {
			return nil, fmt.Errorf("query engine: lake %s needs a cache directory", store)
		}
		c, err := lake.NewCache(store, cacheDir)
		if err != nil {
			return nil, err
		}
		switch {
		case cacheSize == 0:
			c.MaxBytes = DefaultCacheSize
		case cacheSize > 0:
			c.MaxBytes = cacheSize
		}
		return &CachedFiles{Cache: c, URL: "s3://" + path.Join(s.Bucket(), s.Prefix())}, nil
	}
	return nil, fmt.Errorf("query engine: no way to read lake %s", store)
}

// localFiles reads a lake on the local filesystem in place.
type localFiles struct{ dir *lake.Dir }

func (l localFiles) Paths(_ context.Context, keys []string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = l.dir.Path(k)
	}
	return out, nil
}

func (l localFiles) Acquire(ctx context.Context, keys []string) ([]string, func(), error) {
	p, err := l.Paths(ctx, keys)
	return p, func() {}, err
}

func (l localFiles) Roots() []string { return []string{l.dir.Root} }

func (l localFiles) Resolve(context.Context, string) (string, bool, error) { return "", false, nil }

func (l localFiles) Settle(map[string]bool) error { return nil }

// CachedFiles reads a remote lake through a local cache.
type CachedFiles struct {
	Cache *lake.Cache
	URL   string // the lake's own name, "s3://bucket/prefix"

	mu   sync.Mutex
	last lake.SyncReport
}

// LastSync is what the most recent sync did, for logs and benchmarks.
func (c *CachedFiles) LastSync() lake.SyncReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// Paths syncs keys into the cache.
func (c *CachedFiles) Paths(ctx context.Context, keys []string) ([]string, error) {
	p, release, err := c.Acquire(ctx, keys)
	release()
	return p, err
}

// Acquire syncs keys into the cache and holds them there until release.
func (c *CachedFiles) Acquire(ctx context.Context, keys []string) ([]string, func(), error) {
	release, rep, err := c.Cache.Acquire(ctx, keys)
	c.mu.Lock()
	c.last = rep
	c.mu.Unlock()
	if err != nil {
		return nil, release, err
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = c.Cache.Path(k)
	}
	return out, release, nil
}

// Roots is the cache directory.
func (c *CachedFiles) Roots() []string { return []string{c.Cache.Dir} }

// Resolve syncs the objects an s3:// name or glob under the lake stands
// for and returns the same name in the cache.
func (c *CachedFiles) Resolve(ctx context.Context, name string) (string, bool, error) {
	rest, ok := strings.CutPrefix(name, strings.TrimSuffix(c.URL, "/")+"/")
	if !ok || rest == "" {
		return "", false, nil
	}
	if strings.Contains(rest, "..") {
		return "", false, fmt.Errorf("%s: '..' is not allowed in lake names", name)
	}
	prefix := rest
	var match func(string) bool
	if i := strings.IndexAny(rest, "*?[{"); i >= 0 {
		prefix = rest[:strings.LastIndex(rest[:i], "/")+1]
		re, err := globRegexp(rest)
		if err != nil {
			return "", false, fmt.Errorf("%s: %w", name, err)
		}
		match = re.MatchString
	} else {
		match = func(k string) bool { return k == rest }
	}
	if _, _, err := c.Cache.SyncPrefix(ctx, prefix, match); err != nil {
		return "", false, fmt.Errorf("sync %s: %w", name, err)
	}
	return c.Cache.Path(rest), true, nil
}

// Settle evicts what the views stopped using a while ago.
func (c *CachedFiles) Settle(want map[string]bool) error {
	_, err := c.Cache.Evict(want)
	return err
}

// globRegexp translates a DuckDB file glob (*, **, ?, [...], {a,b}) into a
// regular expression over keys.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch ch := glob[i]; ch {
		case '*':
			if i+1 < len(glob) && glob[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(glob[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed [ in glob %q", glob)
			}
			b.WriteString(glob[i : i+j+1])
			i += j
		case '{':
			j := strings.IndexByte(glob[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("unclosed { in glob %q", glob)
			}
			alts := strings.Split(glob[i+1:i+j], ",")
			for k, a := range alts {
				alts[k] = regexp.QuoteMeta(a)
			}
			b.WriteString("(?:" + strings.Join(alts, "|") + ")")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// rewriteNames replaces every string literal in q that names an object of
// the lake with the name resolve returns; other literals, identifiers and
// comments are left as they are. A name under s3:// outside the lake is an
// error: nothing could read it.
func rewriteNames(ctx context.Context, q string, files Files) (string, error) {
	var out strings.Builder
	for i := 0; i < len(q); {
		switch {
		case strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			out.WriteString(q[i : i+j])
			i += j
		case strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				j = len(q) - i - 2
			} else {
				j += 2
			}
			out.WriteString(q[i : i+2+j])
			i += 2 + j
		case q[i] == '"':
			j := closing(q, i, '"')
			out.WriteString(q[i:j])
			i = j
		case q[i] == '\'':
			j := closing(q, i, '\'')
			lit := q[i:j]
			val := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(lit, "'"), "'"), "''", "'")
			if strings.HasPrefix(strings.ToLower(val), "s3://") {
				r, ok, err := files.Resolve(ctx, val)
				if err != nil {
					return "", err
				}
				if !ok {
					return "", fmt.Errorf("%w: %s is outside the lake; only the lake's objects can be read", ErrRefused, val)
				}
				lit = "'" + strings.ReplaceAll(r, "'", "''") + "'"
			}
			out.WriteString(lit)
			i = j
		default:
			out.WriteByte(q[i])
			i++
		}
	}
	return out.String(), nil
}

// closing returns the index just past the quoted token starting at i,
// where a doubled quote stands for itself.
func closing(q string, i int, quote byte) int {
	for j := i + 1; j < len(q); j++ {
		if q[j] == quote {
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}
