package tables

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/tickerlake/tickerlake/lake"
)

// Reads counts what a catalog reads: Iceberg metadata (manifest lists and
// manifests, through the tables' file IO) and data files (through the
// tables' file IO, or the lake store when the catalog reads rows itself).
type Reads struct {
	Manifests atomic.Int64 // Avro files: manifest lists and manifests
	DataFiles atomic.Int64 // Parquet objects opened or fetched
	// ManifestBytes is how much of the Avro files was read: it grows with
	// the entries decoded, where Manifests counts files however large.
	ManifestBytes atomic.Int64

	mu     sync.Mutex
	byName map[string]int // Avro files read, by base name
}

// Avro returns how many times each manifest list and manifest was read,
// by base name, and forgets the counts.
func (r *Reads) Avro() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.byName
	r.byName = nil
	return out
}

// CountReads makes c count its reads into the returned Reads. Call it
// before c loads a table.
func CountReads(c *Catalog) *Reads {
	r := &Reads{}
	c.wrapIO = func(fs icebergio.IO) icebergio.IO { return countingIO{fs.(icebergio.WriteFileIO), r} }
	c.store = countingStore{c.store, r}
	return r
}

func (r *Reads) count(name string) {
	switch {
	case strings.HasSuffix(name, ".avro"):
		r.Manifests.Add(1)
		r.mu.Lock()
		if r.byName == nil {
			r.byName = map[string]int{}
		}
		r.byName[path.Base(name)]++
		r.mu.Unlock()
	case strings.HasSuffix(name, ".parquet"):
		r.DataFiles.Add(1)
	}
}

type countingIO struct {
	icebergio.WriteFileIO
	r *Reads
}

// WalkDir lets the janitor's orphan planning list the table's folder.
func (c countingIO) WalkDir(root string, fn fs.WalkDirFunc) error {
	l, ok := c.WriteFileIO.(icebergio.ListableIO)
	if !ok {
		return fmt.Errorf("filesystem %T does not implement icebergio.ListableIO", c.WriteFileIO)
	}
	return l.WalkDir(root, fn)
}

func (c countingIO) Open(name string) (icebergio.File, error) {
	c.r.count(name)
	f, err := c.WriteFileIO.Open(name)
	if err != nil || !strings.HasSuffix(name, ".avro") {
		return f, err
	}
	return countingFile{f, c.r}, nil
}

type countingFile struct {
	icebergio.File
	r *Reads
}

func (f countingFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	f.r.ManifestBytes.Add(int64(n))
	return n, err
}

func (f countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.r.ManifestBytes.Add(int64(n))
	return n, err
}

type countingStore struct {
	lake.Store
	r *Reads
}

func (c countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.r.count(key)
	return c.Store.Get(ctx, key)
}

// CachedManifests is how many manifests' data files the catalog keeps for
// a dataset's table.
func (c *Catalog) CachedManifests(dataset string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.manifests[dataset])
}
