package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
)

// Janitor removes data objects no commit record names: what a writer or a
// compactor left when it died between its data objects and its commit
// record. An object younger than Grace may still be about to be committed
// and is left alone. With Tables, it first expires each table's snapshots
// older than SnapshotKeep, and then an object goes only when no live
// snapshot references it either (Iceberg's orphan cleanup): objects a
// compaction replaced stay while a snapshot a reader may be scanning holds
// them, and old metadata, manifests and rewritten data files go when no
// snapshot does.
type Janitor struct {
	Store Store
	Log   *slog.Logger
	Clock clock.Clock // default the system clock
	// Grace must exceed how long a crashed writer can stay down before it
	// replays its uncommitted range: the replay finds its objects present
	// and commits them (default 6h).
	Grace    time.Duration
	Datasets []*market.Dataset // default all
	// Tables, when set, are the Iceberg tables kept beside the lake.
	Tables Tables
	// SnapshotKeep is how long table snapshots stay (default 1h): time
	// travel and the scans of slow readers reach back that far.
	SnapshotKeep time.Duration
}

// JanitorReport says what one run removed.
type JanitorReport struct {
	Orphans          int
	Bytes            int64
	SnapshotsExpired int
}

// Run removes every orphan older than the grace period.
func (j *Janitor) Run(ctx context.Context) (JanitorReport, error) {
	j.Clock = clock.Or(j.Clock)
	if j.Grace == 0 {
		j.Grace = 6 * time.Hour
	}
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
	if len(j.Datasets) == 0 {
		j.Datasets = market.Datasets()
	}
	if j.SnapshotKeep == 0 {
		j.SnapshotKeep = time.Hour
	}
	cutoff := j.Clock.Now().Add(-j.Grace)
	var rep JanitorReport
	cat := &Catalog{Store: j.Store}
	for _, ds := range j.Datasets {
		var unreferenced map[string]bool
		if j.Tables != nil {
			n, err := j.Tables.Expire(ctx, ds.Name, j.SnapshotKeep)
			if err != nil {
				return rep, err
			}
			rep.SnapshotsExpired += n
			// Before the listing: an object made since is not in it.
			if unreferenced, err = j.Tables.Unreferenced(ctx, ds.Name); err != nil {
				return rep, err
			}
		}
		// Objects first, records second: an object committed in between is
		// then named by a record this run sees.
		objs, err := j.Store.Objects(ctx, ds.Name+"/")
		if err != nil {
			return rep, err
		}
		if d, ok := j.Store.(*Dir); ok {
			tmp, err := d.Temporaries(ds.Name + "/")
			if err != nil {
				return rep, err
			}
			objs = append(objs, tmp...)
		}
		records, err := cat.Commits(ctx, ds.Name)
		if err != nil {
			return rep, err
		}
		named := map[string]bool{}
		for _, cm := range records {
			for _, f := range cm.Files {
				named[f.Key] = true
			}
		}
		metadata := ds.Name + "/" + MetadataDir + "/"
		for _, o := range objs {
			if named[o.Key] || o.Modified.After(cutoff) {
				continue
			}
			if j.Tables == nil && strings.HasPrefix(o.Key, metadata) {
				continue
			}
			if j.Tables != nil && (!unreferenced[o.Key] || o.Key == metadata+VersionHint) {
				continue
			}
			if err := j.Store.Delete(ctx, o.Key); err != nil {
				return rep, err
			}
			rep.Orphans++
			rep.Bytes += o.Size
			j.Log.Info("removed orphan", "key", o.Key, "age", j.Clock.Now().Sub(o.Modified).Round(time.Second))
		}
	}
	return rep, nil
}

// errLocked says another process holds a lock.
var errLocked = errors.New("locked")

type lockRecord struct {
	Acquired time.Time `json:"acquired"`
}

// lock takes a named lock in the store, so that two compactors (a CronJob
// overlapping its previous run) do not merge the same partition from
// different inputs. A lock older than ttl is taken to be abandoned.
func lock(ctx context.Context, st Store, name string, now time.Time, ttl time.Duration) (func() error, error) {
	key := path.Join("_locks", name)
	body, err := json.Marshal(lockRecord{Acquired: now.UTC()})
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 2; attempt++ {
		created, err := st.PutIfAbsent(ctx, key, body)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if created {
			return func() error { return st.Delete(context.WithoutCancel(ctx), key) }, nil
		}
		b, err := st.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		var held lockRecord
		if err := json.Unmarshal(b, &held); err == nil && now.Sub(held.Acquired) < ttl {
			return nil, errLocked
		}
		if err := st.Delete(ctx, key); err != nil {
			return nil, fmt.Errorf("lock %s: drop abandoned lock: %w", name, err)
		}
	}
	return nil, errLocked
}
