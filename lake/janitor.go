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

// Janitor removes the objects nothing makes visible. With Tables, it first
// expires each table's snapshots older than SnapshotKeep, and then removes
// what no live snapshot references (Iceberg's orphan cleanup), whatever
// the commit records say: objects a compaction replaced stay while a
// snapshot a reader may be scanning holds them, and old metadata,
// manifests, rewritten data files and what a writer or compactor left when
// it died before its table commit go when no snapshot does. A CSV object
// stays while its Parquet sibling, or a rewrite of it, is held. Without
// tables, it removes data objects no commit record names. An object
// younger than Grace may still be about to be committed and is left alone.
// With Tables, a dataset with commit records and no table is refused
// (ErrNotMigrated): its table would be created empty, and every object
// the records name would look unreferenced.
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

	migrated *migrated // shared by a Housekeeping's runs; default one per run
}

// JanitorReport says what one run removed.
type JanitorReport struct {
	// Orphans counts the objects removed: with tables, those no live
	// snapshot holds, the objects compaction and retention replaced among
	// them; without, those no commit record names.
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
	if j.migrated == nil {
		j.migrated = &migrated{}
	}
	cutoff := j.Clock.Now().Add(-j.Grace)
	var rep JanitorReport
	var refused []error // datasets not migrated (ErrNotMigrated)
	cat := &Catalog{Store: j.Store}
	for _, ds := range j.Datasets {
		var unreferenced map[string]bool
		if j.Tables != nil {
			if err := j.migrated.check(ctx, j.Tables, j.Store, ds.Name); errors.Is(err, ErrNotMigrated) {
				// Nothing of it is touched; the other datasets are tidied.
				refused = append(refused, err)
				continue
			} else if err != nil {
				return rep, err
			}
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
		keep, err := j.keep(ctx, cat, ds, objs, unreferenced)
		if err != nil {
			return rep, err
		}
		for _, o := range objs {
			if keep(o.Key) || o.Modified.After(cutoff) {
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
	return rep, errors.Join(refused...)
}

// keep says which of a dataset's objects stay whatever their age: with
// tables, what a live snapshot or the table's metadata references, and the
// CSV objects beside the lake objects those data files descend from;
// without, what a commit record names, and the metadata folder.
func (j *Janitor) keep(ctx context.Context, cat *Catalog, ds *market.Dataset, objs []ObjectInfo, unreferenced map[string]bool) (func(string) bool, error) {
	metadata := ds.Name + "/" + MetadataDir + "/"
	if j.Tables != nil {
		stems := map[string]bool{}
		for _, o := range objs {
			if !unreferenced[o.Key] && path.Ext(o.Key) == ".parquet" {
				stems[strings.TrimSuffix(Origin(o.Key), ".parquet")] = true
			}
		}
		return func(k string) bool {
			if k == metadata+VersionHint || !unreferenced[k] {
				return true
			}
			stem, isCSV := strings.CutSuffix(k, ".csv")
			return isCSV && stems[stem]
		}, nil
	}
	records, err := cat.Commits(ctx, ds.Name)
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, cm := range records {
		for _, f := range cm.Files {
			named[f.Key] = true
		}
	}
	return func(k string) bool { return named[k] || strings.HasPrefix(k, metadata) }, nil
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
