package predict

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
)

// Meta describes one trained version: its window, its walk-forward
// metrics and which of its models serves.
type Meta struct {
	Version     string             `json:"version"` // "v3"
	TrainedAt   time.Time          `json:"trainedAt"`
	TrainFrom   time.Time          `json:"trainFrom"`
	TrainTo     time.Time          `json:"trainTo"`
	HeldOutFrom time.Time          `json:"heldOutFrom"`
	HeldOutTo   time.Time          `json:"heldOutTo"`
	Symbols     int                `json:"symbols"`
	Serving     string             `json:"serving"`
	Reason      string             `json:"reason"`
	Metrics     map[string]Metrics `json:"metrics"`
	Config      Config             `json:"config"`
}

// commitRecord makes one version visible; it names its objects, which
// were written before it.
type commitRecord struct {
	Version     string    `json:"version"`
	Meta        string    `json:"meta"`
	Models      string    `json:"models"`
	CommittedAt time.Time `json:"committed_at"`
}

// Registry keeps versioned model artefacts in the lake's store with the
// lake's discipline: a version's objects are written under a fresh name
// first, then one commit record (created only if absent) makes them
// visible, so a reader never sees a partial version and two trainers
// never take the same number. The newest committed version serves.
type Registry struct {
	Store lake.Store
	// Prefix is where artefacts live (default "models"); the lake's
	// janitor only sweeps dataset prefixes.
	Prefix string
	Clock  clock.Clock // default the system clock
}

func (r *Registry) prefix() string {
	if r.Prefix == "" {
		return "models"
	}
	return r.Prefix
}

func (r *Registry) commitKey(n int) string {
	return path.Join(r.prefix(), lake.CommitPrefix, fmt.Sprintf("v%06d.json", n))
}

// versions lists committed version numbers, ascending.
func (r *Registry) versions(ctx context.Context) ([]int, error) {
	keys, err := r.Store.List(ctx, path.Join(r.prefix(), lake.CommitPrefix)+"/")
	if err != nil {
		return nil, fmt.Errorf("list model versions: %w", err)
	}
	var out []int
	for _, k := range keys {
		b := strings.TrimSuffix(path.Base(k), ".json")
		if n, err := strconv.Atoi(strings.TrimPrefix(b, "v")); err == nil && strings.HasPrefix(b, "v") {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out, nil
}

func (r *Registry) record(ctx context.Context, n int) (commitRecord, error) {
	var c commitRecord
	b, err := r.Store.Get(ctx, r.commitKey(n))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("model commit %s: %w", r.commitKey(n), err)
	}
	return c, nil
}

// Metas returns every committed version's metadata, oldest first.
func (r *Registry) Metas(ctx context.Context) ([]Meta, error) {
	ns, err := r.versions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Meta, 0, len(ns))
	for _, n := range ns {
		c, err := r.record(ctx, n)
		if err != nil {
			return nil, err
		}
		var m Meta
		if err := r.getJSON(ctx, c.Meta, &m); err != nil {
			return nil, err
		}
		m.Version = c.Version
		out = append(out, m)
	}
	return out, nil
}

// Latest returns the newest committed version with its models; ok is
// false when none is committed.
func (r *Registry) Latest(ctx context.Context) (meta Meta, models map[string]*Model, ok bool, err error) {
	ns, err := r.versions(ctx)
	if err != nil || len(ns) == 0 {
		return meta, nil, false, err
	}
	c, err := r.record(ctx, ns[len(ns)-1])
	if err != nil {
		return meta, nil, false, err
	}
	if err := r.getJSON(ctx, c.Meta, &meta); err != nil {
		return meta, nil, false, err
	}
	if err := r.getJSON(ctx, c.Models, &models); err != nil {
		return meta, nil, false, err
	}
	meta.Version = c.Version
	return meta, models, true, nil
}

// LatestVersion names the newest committed version ("" when none),
// reading only the listing.
func (r *Registry) LatestVersion(ctx context.Context) (string, error) {
	ns, err := r.versions(ctx)
	if err != nil || len(ns) == 0 {
		return "", err
	}
	return fmt.Sprintf("v%d", ns[len(ns)-1]), nil
}

func (r *Registry) getJSON(ctx context.Context, key string, v any) error {
	b, err := r.Store.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

// Commit writes a version's objects, then its commit record under the
// next free number, and returns the version it became.
func (r *Registry) Commit(ctx context.Context, meta Meta, models map[string]*Model) (string, error) {
	now := clock.Or(r.Clock).Now
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	dir := path.Join(r.prefix(), "objects", now().UTC().Format("20060102T150405Z")+"-"+hex.EncodeToString(id[:]))
	meta.Version = ""
	mb, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode model metadata: %w", err)
	}
	modb, err := json.Marshal(models)
	if err != nil {
		return "", fmt.Errorf("encode models: %w", err)
	}
	rec := commitRecord{Meta: path.Join(dir, "meta.json"), Models: path.Join(dir, "models.json")}
	for key, b := range map[string][]byte{rec.Meta: mb, rec.Models: modb} {
		if _, err := r.Store.PutIfAbsent(ctx, key, b); err != nil {
			return "", fmt.Errorf("write %s: %w", key, err)
		}
	}
	for attempt := 0; attempt < 20; attempt++ {
		ns, err := r.versions(ctx)
		if err != nil {
			return "", err
		}
		n := 1
		if len(ns) > 0 {
			n = ns[len(ns)-1] + 1
		}
		rec.Version = fmt.Sprintf("v%d", n)
		rec.CommittedAt = now().UTC()
		b, err := json.Marshal(rec)
		if err != nil {
			return "", err
		}
		created, err := r.Store.PutIfAbsent(ctx, r.commitKey(n), b)
		if err != nil {
			return "", fmt.Errorf("commit model %s: %w", rec.Version, err)
		}
		if created {
			return rec.Version, nil
		}
	}
	return "", errors.New("commit model: another trainer keeps taking the next version number")
}
