package lake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
)

// Retention drops partitions older than each dataset's retention period,
// by one commit per expired partition that replaces the partition's
// objects with nothing, so readers lose the whole partition at once. With
// Tables, as the commands run it, it expires what each table's current
// snapshot holds, by a delete in the table alone; the janitor removes the
// objects once no live snapshot holds them. Without, the commit is a
// retention record, and the objects go after the compactor's grace period.
type Retention struct {
	Store Store
	Log   *slog.Logger
	Clock clock.Clock // default the system clock
	// Keep maps a dataset name to how long its partitions are kept after
	// they end; a dataset not named, or with 0, is kept forever.
	Keep map[string]time.Duration
	// Tables, when set, are what each expiry is committed to, as a delete
	// of the partition's files, with no commit record. A dataset with
	// commit records and no table is refused (ErrNotMigrated).
	Tables Tables
}

// RetentionReport says what one run expired.
type RetentionReport struct {
	Partitions int
	Files      int
}

// Run expires every expired partition still visible.
func (r *Retention) Run(ctx context.Context) (RetentionReport, error) {
	r.Clock = clock.Or(r.Clock)
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	var rep RetentionReport
	var refused []error // datasets not migrated (ErrNotMigrated)
	cat := &Catalog{Store: r.Store}
	for _, ds := range market.Datasets() {
		keep := r.Keep[ds.Name]
		if keep <= 0 {
			continue
		}
		cutoff := r.Clock.Now().Add(-keep)
		visible, err := r.visible(ctx, cat, ds)
		if errors.Is(err, ErrNotMigrated) {
			// The other datasets are expired all the same.
			refused = append(refused, err)
			continue
		}
		if err != nil {
			return rep, err
		}
		expired := map[string][]string{}
		for _, k := range visible {
			p := partitionOfKey(ds.Name, k)
			end, err := partitionEnd(p)
			if err != nil {
				return rep, fmt.Errorf("retention %s: %w", k, err)
			}
			if !end.After(cutoff) {
				expired[p] = append(expired[p], k)
			}
		}
		parts := make([]string, 0, len(expired))
		for p := range expired {
			parts = append(parts, p)
		}
		sort.Strings(parts)
		for _, p := range parts {
			keys := expired[p]
			sort.Strings(keys)
			cm := Commit{Dataset: ds.Name, Kind: KindRetention, Replaces: keys, CommittedAt: r.Clock.Now().UTC(),
				key: path.Join(CommitPrefix, ds.Name, "retention-"+p+"-"+digest(keys)+".json")}
			if err := commitTo(ctx, r.Tables, r.Store, cm); err != nil {
				return rep, err
			}
			rep.Partitions++
			rep.Files += len(keys)
			r.Log.Info("partition expired", "dataset", ds.Name, "partition", p, "objects", len(keys), "keep", keep)
		}
	}
	return rep, errors.Join(refused...)
}

// visible lists a dataset's visible objects: with tables, the data files
// of its table's current snapshot, with the lake objects and CSV objects
// they descend from (none without a table, unless commit records are
// there: ErrNotMigrated); without, what the commit records make visible.
func (r *Retention) visible(ctx context.Context, cat *Catalog, ds *market.Dataset) ([]string, error) {
	if r.Tables != nil {
		objs, err := tableObjects(ctx, r.Tables, r.Store, ds)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(objs))
		for i, o := range objs {
			out[i] = o.key
		}
		return out, nil
	}
	snap, err := cat.Snapshot(ctx, ds.Name)
	if err != nil {
		return nil, err
	}
	return append(snap.Files("parquet"), snap.Files("csv")...), nil
}

// partitionEnd is the instant a Hive partition's period ends.
func partitionEnd(p string) (time.Time, error) {
	name, val, _ := strings.Cut(p, "=")
	switch name {
	case "date":
		d, err := time.Parse("2006-01-02", val)
		if err != nil {
			return time.Time{}, fmt.Errorf("partition %q: %w", p, err)
		}
		return d.AddDate(0, 0, 1), nil
	case "year":
		y, err := strconv.Atoi(val)
		if err != nil {
			return time.Time{}, fmt.Errorf("partition %q: %w", p, err)
		}
		return time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	return time.Time{}, fmt.Errorf("partition %q: unknown partitioning", p)
}

// ParseRetention reads "daily_bars=3650d,intraday_bars=400d" (units d, h,
// m, s; 0 keeps forever) into a Retention.Keep map.
func ParseRetention(spec string) (map[string]time.Duration, error) {
	keep := map[string]time.Duration{}
	if strings.TrimSpace(spec) == "" {
		return keep, nil
	}
	for _, item := range strings.Split(spec, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("retention %q: want dataset=duration", item)
		}
		if _, known := market.DatasetByName(name); !known {
			return nil, fmt.Errorf("retention %q: unknown dataset %q", item, name)
		}
		var d time.Duration
		if days, isDays := strings.CutSuffix(val, "d"); isDays {
			n, err := strconv.Atoi(days)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("retention %q: bad day count %q", item, days)
			}
			d = time.Duration(n) * 24 * time.Hour
		} else {
			var err error
			if d, err = time.ParseDuration(val); err != nil || d < 0 {
				return nil, fmt.Errorf("retention %q: bad duration %q", item, val)
			}
		}
		keep[name] = d
	}
	return keep, nil
}
