package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"
)

// CommitPrefix is where commit records live.
const CommitPrefix = "_commits"

// File is one data object named by a commit.
type File struct {
	Key    string `json:"key"`
	Format string `json:"format"` // "parquet" or "csv"
	Rows   int64  `json:"rows"`
	// Keys bounds each natural-key column over the object's rows (see
	// KeyRanges), so that readers know which objects cannot share a key
	// without reading them. Records written before it have none.
	Keys KeyRanges `json:"keys,omitempty"`
}

// Commit makes one offset range of one topic partition visible.
type Commit struct {
	Dataset     string    `json:"dataset"`
	Topic       string    `json:"topic"`
	Partition   int       `json:"partition"`
	FirstOffset int64     `json:"first_offset"`
	LastOffset  int64     `json:"last_offset"`
	Rows        int64     `json:"rows"`
	MinTime     time.Time `json:"min_time"`
	MaxTime     time.Time `json:"max_time"`
	Files       []File    `json:"files"`
	CommittedAt time.Time `json:"committed_at"`
	// Replaces names data objects this commit retires, atomically with its
	// own appearance: compaction replaces small files by the merged one,
	// retention by nothing. Readers never see a replaced object.
	Replaces []string `json:"replaces,omitempty"`
	// Kind is "" for the writer's commits, KindCompaction or KindRetention.
	Kind string `json:"kind,omitempty"`
	// SchemaVersion is market.SchemaVersion when the files were written; a
	// record without one predates the field (version 1).
	SchemaVersion int    `json:"schema_version,omitempty"`
	key           string // the record's key when it was read from the store
}

// Kinds of commit record besides the writer's.
const (
	KindCompaction = "compaction"
	KindRetention  = "retention"
)

// rangeName is the deterministic name of an offset range.
func rangeName(topic string, partition int, first, last int64) string {
	return fmt.Sprintf("%s-%d-%020d-%020d", topic, partition, first, last)
}

// Key is the commit record's object key: derived from the offset range
// for the writer's commits, as read for the others.
func (c Commit) Key() string {
	if c.key != "" {
		return c.key
	}
	return path.Join(CommitPrefix, c.Dataset, rangeName(c.Topic, c.Partition, c.FirstOffset, c.LastOffset)+".json")
}

// Catalog reads commit records. It caches them: a commit record never
// changes once written.
type Catalog struct {
	Store Store

	mu    sync.Mutex
	cache map[string]Commit
}

// Commits returns every commit record of a dataset present in the store,
// retired ones included, in key order.
func (c *Catalog) Commits(ctx context.Context, dataset string) ([]Commit, error) {
	keys, err := c.Store.List(ctx, path.Join(CommitPrefix, dataset)+"/")
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil {
		c.cache = map[string]Commit{}
	}
	listed := make(map[string]bool, len(keys))
	out := make([]Commit, 0, len(keys))
	for _, k := range keys {
		listed[k] = true
		cm, ok := c.cache[k]
		if !ok {
			b, err := c.Store.Get(ctx, k)
			if errors.Is(err, ErrNotFound) {
				// Deleted since the listing: only retired records are
				// deleted, so it was not visible anyway.
				continue
			}
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(b, &cm); err != nil {
				return nil, fmt.Errorf("commit record %s: %w", k, err)
			}
			cm.key = k
			c.cache[k] = cm
		}
		out = append(out, cm)
	}
	for k := range c.cache {
		if !listed[k] && strings.HasPrefix(k, path.Join(CommitPrefix, dataset)+"/") {
			delete(c.cache, k)
		}
	}
	return out, nil
}

// Snapshot is what readers see of a dataset at one listing of its commit
// records.
type Snapshot struct {
	Dataset string
	// Commits are the records not wholly retired, in key order.
	Commits []Commit
	// Retired are the records every file of which another record replaces.
	Retired []Commit
	// Replaced maps each replaced object to the commit replacing it.
	Replaced map[string]Commit
}

// Files returns the visible data objects of one format, in commit order.
func (s *Snapshot) Files(format string) []string {
	committed := s.Committed(format)
	keys := make([]string, len(committed))
	for i, cf := range committed {
		keys[i] = cf.Key
	}
	return keys
}

// CommittedFile is a visible data object with the commit record naming it.
type CommittedFile struct {
	File
	Commit Commit
}

// Committed returns the visible data objects of one format, each with its
// commit record, in commit order.
func (s *Snapshot) Committed(format string) []CommittedFile {
	var out []CommittedFile
	for _, cm := range s.Commits {
		for _, f := range cm.Files {
			if f.Format == format && !s.isReplaced(f.Key) {
				out = append(out, CommittedFile{File: f, Commit: cm})
			}
		}
	}
	return out
}

func (s *Snapshot) isReplaced(key string) bool {
	_, ok := s.Replaced[key]
	return ok
}

// Snapshot lists a dataset's commit records and resolves replacements: an
// object named in any record's Replaces is invisible, whoever else names it.
// Since one record both adds the merged object and retires the small ones,
// a reader sees either all of the old objects or the new one, never both
// and never neither.
func (c *Catalog) Snapshot(ctx context.Context, dataset string) (*Snapshot, error) {
	all, err := c.Commits(ctx, dataset)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Dataset: dataset, Replaced: map[string]Commit{}}
	for _, cm := range all {
		for _, k := range cm.Replaces {
			s.Replaced[k] = cm
		}
	}
	for _, cm := range all {
		retired := len(cm.Files) > 0
		for _, f := range cm.Files {
			if !s.isReplaced(f.Key) {
				retired = false
				break
			}
		}
		if retired {
			s.Retired = append(s.Retired, cm)
		} else {
			s.Commits = append(s.Commits, cm)
		}
	}
	return s, nil
}

// Files returns the visible data objects of one format of a dataset.
func (c *Catalog) Files(ctx context.Context, dataset, format string) ([]string, error) {
	s, err := c.Snapshot(ctx, dataset)
	if err != nil {
		return nil, err
	}
	return s.Files(format), nil
}
