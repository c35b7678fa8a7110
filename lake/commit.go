package lake

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
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
}

// rangeName is the deterministic name of an offset range.
func rangeName(topic string, partition int, first, last int64) string {
	return fmt.Sprintf("%s-%d-%020d-%020d", topic, partition, first, last)
}

// Key is the commit record's object key.
func (c Commit) Key() string {
	return path.Join(CommitPrefix, c.Dataset, rangeName(c.Topic, c.Partition, c.FirstOffset, c.LastOffset)+".json")
}

// Catalog reads commit records. It caches them: a commit record never
// changes once written.
type Catalog struct {
	Store Store

	mu    sync.Mutex
	cache map[string]Commit
}

// Commits returns every commit record of a dataset.
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
	out := make([]Commit, 0, len(keys))
	for _, k := range keys {
		cm, ok := c.cache[k]
		if !ok {
			b, err := c.Store.Get(ctx, k)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(b, &cm); err != nil {
				return nil, fmt.Errorf("commit record %s: %w", k, err)
			}
			c.cache[k] = cm
		}
		out = append(out, cm)
	}
	return out, nil
}

// Files returns the committed data objects of one format of a dataset.
func (c *Catalog) Files(ctx context.Context, dataset, format string) ([]string, error) {
	commits, err := c.Commits(ctx, dataset)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, cm := range commits {
		for _, f := range cm.Files {
			if f.Format == format {
				keys = append(keys, f.Key)
			}
		}
	}
	return keys, nil
}
