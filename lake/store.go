package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ErrNotFound is returned by Get for a missing object.
var ErrNotFound = errors.New("object not found")

// Store is an object store holding the lake.
type Store interface {
	// PutIfAbsent writes an object atomically unless one exists under key;
	// created says which happened. Once it has returned without error it
	// holds no reference to data, which the caller may reuse.
	PutIfAbsent(ctx context.Context, key string, data []byte) (created bool, err error)
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the keys under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	Delete(ctx context.Context, key string) error
	// Objects describes the objects under prefix, sorted by key; the
	// janitor and the cache need their ages and ETags.
	Objects(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// String names the store for logs, e.g. "file:///data/lake".
	String() string
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key      string
	Size     int64
	ETag     string // the store's entity tag, quoted as S3 returns it; "" on the filesystem
	Modified time.Time
}

// Dir is a Store on the local filesystem.
type Dir struct{ Root string }

// NewDir returns a store rooted at dir, creating it.
func NewDir(dir string) (*Dir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create lake dir: %w", err)
	}
	return &Dir{Root: abs}, nil
}

func (d *Dir) String() string { return "file://" + d.Root }

// Path is the file holding key.
func (d *Dir) Path(key string) string { return filepath.Join(d.Root, filepath.FromSlash(key)) }

// PutIfAbsent writes to a temporary file and hard-links it into place, which
// fails when the key exists: readers never see a partial object.
func (d *Dir) PutIfAbsent(_ context.Context, key string, data []byte) (bool, error) {
	p := d.Path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	return true, nil
}

// Get reads an object.
func (d *Dir) Get(_ context.Context, key string) ([]byte, error) {
	b, err := os.ReadFile(d.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	return b, err
}

// List walks the directory under prefix; temporary files are not objects.
func (d *Dir) List(_ context.Context, prefix string) ([]string, error) {
	return keysOf(d.walk(prefix, false))
}

func keysOf(objs []ObjectInfo, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys, nil
}

// Objects describes the objects under prefix, sorted by key.
func (d *Dir) Objects(_ context.Context, prefix string) ([]ObjectInfo, error) {
	return d.walk(prefix, true)
}

// Temporaries describes the temporary files a crashed PutIfAbsent left
// under prefix, for the janitor.
func (d *Dir) Temporaries(prefix string) ([]ObjectInfo, error) {
	all, err := d.walkAll(prefix, true)
	if err != nil {
		return nil, err
	}
	var tmp []ObjectInfo
	for _, o := range all {
		if strings.HasPrefix(path.Base(o.Key), ".tmp-") {
			tmp = append(tmp, o)
		}
	}
	return tmp, nil
}

func (d *Dir) walk(prefix string, stat bool) ([]ObjectInfo, error) {
	all, err := d.walkAll(prefix, stat)
	if err != nil {
		return nil, err
	}
	objs := all[:0]
	for _, o := range all {
		if !strings.HasPrefix(path.Base(o.Key), ".tmp-") {
			objs = append(objs, o)
		}
	}
	return objs, nil
}

func (d *Dir) walkAll(prefix string, stat bool) ([]ObjectInfo, error) {
	var objs []ObjectInfo
	root := d.Path(prefix)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(d.Root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil // a sibling of the prefix's last element, e.g. "ab" under "a"
		}
		o := ObjectInfo{Key: key}
		if stat {
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			if err != nil {
				return err
			}
			o.Size, o.Modified = fi.Size(), fi.ModTime()
		}
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

// Delete removes an object; a missing one is not an error.
func (d *Dir) Delete(_ context.Context, key string) error {
	if err := os.Remove(d.Path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}
