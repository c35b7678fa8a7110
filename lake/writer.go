package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"sort"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/internal/freelist"
	"github.com/tickerlake/tickerlake/internal/workers"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
	"golang.org/x/sync/errgroup"
)

// Writer is the writer role: it consumes the processed topics in one
// consumer group and commits each fetched batch to the lake (see the package
// doc) before committing its offsets. With Tables, as the commands always
// run it, it commits only through the tables; without, it writes commit
// records (a lake of the record protocol, for its tests and migrate's).
type Writer struct {
	Store   Store
	Kafka   stream.Cluster
	Group   string // default "writer"
	Log     *slog.Logger
	Metrics *metrics.Set
	// BatchSize and BatchWindow bound one lake commit (defaults 2000
	// messages, 1s): larger batches make fewer, bigger files.
	BatchSize   int
	BatchWindow time.Duration
	// BeforeCommit, when set, runs after a range's data objects are written
	// and before its commit; an error stops the writer there, as a crash
	// would. Tests use it to prove recovery.
	BeforeCommit func(Commit) error
	// DrainTimeout bounds how long, once ctx ends, the batch in hand may take
	// to commit (default 20s); past it the batch is abandoned uncommitted and
	// delivered again to the next writer. Keep it under the pod's
	// terminationGracePeriodSeconds.
	DrainTimeout time.Duration
	// Tables, when set, are what each range is committed to, before the
	// offsets, with no commit record: the table alone makes it visible, and
	// its tickerlake.through property makes a replay add nothing. While
	// that fails (the catalog unreachable) the writer commits nothing more:
	// it tries again, waiting from 200ms up to TablesRetry (default 10s)
	// between attempts, and goes on once the catalog answers; if it stops
	// first, the replayed range is committed then. Before its first commit
	// to a dataset it checks the lake is migrated: a dataset with commit
	// records and no table stops it with ErrNotMigrated, never retried.
	Tables      Tables
	TablesRetry time.Duration
	// Clock stamps each commit's CommittedAt (default the system clock),
	// which the compactor's Settle and Grace are measured against.
	Clock clock.Clock
	// Spans, when set, takes a span per commit: a child of its first
	// message's span, linking the others (default none).
	Spans trace.Recorder

	lastEvent map[string]time.Time // newest event time written, per dataset
	migrated  migrated             // datasets found safe to commit to through Tables
}

// Run writes until ctx ends; a batch in hand when it ends is committed.
func (w *Writer) Run(ctx context.Context) error {
	if w.Group == "" {
		w.Group = "writer"
	}
	if w.BatchSize == 0 {
		w.BatchSize = 2000
	}
	if w.BatchWindow == 0 {
		w.BatchWindow = time.Second
	}
	r := stream.NewReader(stream.ReaderConfig{Kafka: w.Kafka, Group: w.Group, Topics: stream.ProcessedTopics()})
	defer func() {
		if err := r.Close(); err != nil {
			w.Log.Warn("close processed reader", "err", err)
		}
	}()
	w.Log.Info("writer started", "group", w.Group, "lake", w.Store.String())
	drain := w.DrainTimeout
	if drain == 0 {
		drain = 20 * time.Second
	}
	// A batch in hand when ctx ends goes on for at most drain more.
	loop := stream.Consume{Name: "processed", BatchSize: w.BatchSize, BatchWindow: w.BatchWindow, Drain: drain}
	err := loop.Run(ctx, r, w.WriteBatch)
	if errors.Is(err, stream.ErrAbandoned) {
		// Neither its commit nor its offsets are known to be
		// written: the next writer writes it again under the same keys,
		// and the janitor removes what this one left.
		w.Log.Warn("writer stopping: batch abandoned uncommitted; it will be delivered again", "err", err)
		return nil
	}
	return err
}

type rangeKey struct {
	topic     string
	partition int
}

// WriteBatch commits a batch of processed messages to the lake.
func (w *Writer) WriteBatch(ctx context.Context, batch []kafka.Message) error {
	// Each range's messages are cut from one copy of the batch, counted
	// first, rather than appended to a slice of their own that grows
	// message by message (a kafka.Message is 152 bytes on 64-bit
	// platforms, unsafe.Sizeof says).
	counts := map[rangeKey]int{}
	for i := range batch {
		counts[rangeKey{batch[i].Topic, batch[i].Partition}]++
	}
	keys := make([]rangeKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].topic != keys[j].topic {
			return keys[i].topic < keys[j].topic
		}
		return keys[i].partition < keys[j].partition
	})
	all := make([]kafka.Message, 0, len(batch))
	groups := make(map[rangeKey][]kafka.Message, len(keys))
	for _, k := range keys {
		groups[k] = all[len(all) : len(all) : len(all)+counts[k]]
		all = all[:len(all)+counts[k]]
	}
	for i := range batch {
		k := rangeKey{batch[i].Topic, batch[i].Partition}
		groups[k] = append(groups[k], batch[i])
	}
	// Each range's data objects are encoded and put side by side with the
	// other ranges' (a put waits on the store, an fsync or the network);
	// the commits follow one at a time in range order, each once its own
	// range's data objects are all in the store.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	staged := make([]*stagedRange, len(keys))
	done := make([]chan struct{}, len(keys))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var g errgroup.Group
	for i, k := range keys {
		done[i] = make(chan struct{})
		g.Go(func() error {
			defer close(done[i])
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			defer func() { <-slots }()
			s, err := w.writeData(ctx, groups[k])
			staged[i] = s
			return err
		})
	}
	var err error
	for i := range keys {
		<-done[i]
		if staged[i] == nil {
			break // its error is g's
		}
		if err = w.commitRange(ctx, staged[i]); err != nil {
			break
		}
	}
	cancel()
	if gerr := g.Wait(); err == nil {
		err = gerr
	}
	return err
}

// stagedRange is a range whose data objects are in the store, awaiting
// its commit.
type stagedRange struct {
	msgs  []kafka.Message
	ds    *market.Dataset
	cm    Commit
	base  string
	parts int
	start time.Time
}

// writeData encodes and puts the data objects of the messages of one topic
// partition, in offset order.
func (w *Writer) writeData(ctx context.Context, msgs []kafka.Message) (*stagedRange, error) {
	start := time.Now()
	first, last := msgs[0], msgs[len(msgs)-1]
	ds, err := stream.DatasetOf(first)
	if err != nil {
		return nil, err
	}
	cm := Commit{Dataset: ds.Name, Topic: first.Topic, Partition: first.Partition, FirstOffset: first.Offset, LastOffset: last.Offset,
		SchemaVersion: market.SchemaVersion}
	parts := map[string][]arrow.RecordBatch{}
	defer func() {
		for _, recs := range parts {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	batches, err := decodeMessages(ds, msgs)
	defer func() {
		for _, recs := range batches {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	pt := newPartitioner(ds)
	for i, recs := range batches {
		if err := splitBatches(ds, msgs[i], recs, parts, &cm, pt); err != nil {
			return nil, err
		}
	}
	base := rangeName(cm.Topic, cm.Partition, cm.FirstOffset, cm.LastOffset)
	parts = objectNames(base, parts)
	names := make([]string, 0, len(parts))
	for p := range parts {
		names = append(names, p)
	}
	sort.Strings(names)
	files, err := w.putPartitions(ctx, ds, names, parts)
	if err != nil {
		return nil, err
	}
	cm.Files = files
	return &stagedRange{msgs: msgs, ds: ds, cm: cm, base: base, parts: len(names), start: start}, nil
}

// commitRange commits a staged range, which makes its data objects
// visible: through the tables, or without them by a commit record.
func (w *Writer) commitRange(ctx context.Context, s *stagedRange) error {
	msgs, ds, cm, base, start := s.msgs, s.ds, s.cm, s.base, s.start
	if w.BeforeCommit != nil {
		if err := w.BeforeCommit(cm); err != nil {
			return err
		}
	}
	cm.CommittedAt = clock.Or(w.Clock).Now().UTC()
	if w.Tables != nil {
		// The table alone makes the range visible, and its
		// tickerlake.through property makes a replay add nothing.
		if err := w.register(ctx, cm); err != nil {
			return err
		}
	} else if err := w.putRecord(ctx, cm); err != nil {
		return err
	}
	w.Metrics.Written.WithLabelValues(ds.Name, "lake").Add(float64(cm.Rows))
	if cm.MaxTime.After(w.lastEvent[ds.Name]) {
		if w.lastEvent == nil {
			w.lastEvent = map[string]time.Time{}
		}
		w.lastEvent[ds.Name] = cm.MaxTime
		w.Metrics.LastEvent.WithLabelValues(ds.Name).Set(float64(cm.MaxTime.Unix()))
	}
	w.Metrics.CommitSeconds.WithLabelValues("lake").Observe(time.Since(start).Seconds())
	stream.RecordBatch(w.Spans, msgs, "lake commit", start, trace.String("dataset", ds.Name), trace.String("range", base),
		trace.Int("rows", int(cm.Rows)), trace.Int("partitions", s.parts))
	if w.Log.Enabled(ctx, slog.LevelDebug) {
		// The commit carries the trace of its first message; the others
		// are its links (stream.BatchTrace).
		w.Log.LogAttrs(ctx, slog.LevelDebug, "lake commit", append([]slog.Attr{slog.String("dataset", ds.Name), slog.String("range", base),
			slog.Int64("rows", cm.Rows), slog.Int("partitions", s.parts)}, stream.BatchTrace(msgs)...)...)
	}
	return nil
}

// putRecord writes a commit record, which makes the range visible in a
// lake without tables (tests of the record protocol; the commands refuse
// such a lake).
func (w *Writer) putRecord(ctx context.Context, cm Commit) error {
	body, err := json.MarshalIndent(cm, "", "  ")
	if err != nil {
		return fmt.Errorf("encode commit %s: %w", cm.Key(), err)
	}
	_, err = w.Store.PutIfAbsent(ctx, cm.Key(), body)
	return err
}

// register registers a commit in w.Tables, trying again until it succeeds
// or ctx ends; a lake not migrated (ErrNotMigrated) or an object its
// table cannot take (ErrSpansPartitions) stops it at once.
func (w *Writer) register(ctx context.Context, cm Commit) error {
	wait, most := 200*time.Millisecond, w.TablesRetry
	if most == 0 {
		most = 10 * time.Second
	}
	for attempt := 1; ; attempt++ {
		// The first commit would create the table: not over records.
		err := w.migrated.check(ctx, w.Tables, w.Store, cm.Dataset)
		if errors.Is(err, ErrNotMigrated) {
			return err
		}
		if err == nil {
			err = w.Tables.Commit(ctx, cm)
		}
		if err == nil {
			if attempt > 1 {
				w.Log.Info("iceberg commit went through; the writer resumes", "commit", cm.Key(), "attempts", attempt)
			}
			return nil
		}
		if errors.Is(err, ErrSpansPartitions) {
			return err // the same objects, refused again on every try
		}
		if ctx.Err() != nil {
			return err
		}
		w.Log.Warn("iceberg commit failed; the writer commits nothing more until it goes through",
			"commit", cm.Key(), "attempt", attempt, "retry_in", wait, "err", err)
		if serr := clock.Or(w.Clock).Sleep(ctx, wait); serr != nil {
			return err
		}
		wait = min(2*wait, most)
	}
}

// putPartitions encodes the rows of each object (named by key under the
// dataset's folder, without extension: see objectNames) as Parquet and
// CSV and puts both. Encoding dominates a commit's cost and every object
// and format is independent, so they are encoded and put side by side; the
// commit, after all of them, is what makes them visible.
func (w *Writer) putPartitions(ctx context.Context, ds *market.Dataset, names []string, parts map[string][]arrow.RecordBatch) ([]File, error) {
	files := make([]File, 2*len(names))
	keys := make([]KeyRanges, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0) + 2) // puts wait on the network
	for i, p := range names {
		var rows int64
		for _, r := range parts[p] {
			rows += r.NumRows()
			// Arrow counts a column's nulls on first ask and stores the
			// count: ask here, so the encoders below, reading the same
			// columns side by side, only read it.
			for _, c := range r.Columns() {
				c.NullN()
			}
		}
		g.Go(func() error {
			keys[i] = KeyRangesOf(ds, parts[p])
			return nil
		})
		for j, f := range []struct {
			format string
			encode func([]byte, *market.Dataset, []arrow.RecordBatch) ([]byte, error)
		}{{"parquet", encodeFreshParquet}, {"csv", encodeCSV}} {
			key := path.Join(ds.Name, p+"."+f.format)
			files[2*i+j] = File{Key: key, Format: f.format, Rows: rows}
			g.Go(func() error {
				data, err := f.encode(encodeBuffer(), ds, parts[p])
				if err != nil {
					return err
				}
				if _, err = w.Store.PutIfAbsent(gctx, key, data); err != nil {
					return err // the store may not be done with data
				}
				recycle(data)
				return nil
			})
		}
	}
	err := g.Wait()
	for i := range files {
		files[i].Keys = keys[i/2]
	}
	return files, err
}

// encodeBuffers keeps the encoders' output buffers between commits (a
// batch's CSV object alone is megabytes): allocating, zeroing and
// collecting them cost as much as encoding a column. In a sync.Pool,
// which every garbage collection empties, a commit found a third of the
// bytes it needed gone. A buffer goes back only once the store has the
// object.
var encodeBuffers = freelist.List[[]byte]{Max: keptBuffers}

// keptBuffers bounds the buffers kept: the writer encodes GOMAXPROCS+2
// objects of each of up to GOMAXPROCS ranges at once, a large CSV object
// in up to GOMAXPROCS chunks.
const keptBuffers = 16

// maxRecycled is the largest buffer kept for reuse: a compaction's
// objects are rare and would hold their memory.
const maxRecycled = 32 << 20

// keptBudget bounds the bytes the kept buffers hold together. Unlike a
// sync.Pool's, they are never given back to the garbage collector, so
// after one large batch they would otherwise pin keptBuffers times
// maxRecycled for good, a lot for a pod with a memory limit. A snapshot
// of the benchmark's 40 chains needs a few megabytes.
const keptBudget = 64 << 20

// keptBytes is the capacity of the buffers encodeBuffers holds.
var keptBytes atomic.Int64

// encodeBuffer returns an empty buffer, recycled if one is at hand.
func encodeBuffer() []byte {
	b, ok := encodeBuffers.Get()
	if ok {
		keptBytes.Add(-int64(cap(b)))
	}
	return b[:0]
}

// recycle offers a buffer for reuse; nothing may use it afterwards.
func recycle(b []byte) {
	n := int64(cap(b))
	if n > maxRecycled {
		return
	}
	if keptBytes.Add(n) > keptBudget || !encodeBuffers.Put(b) {
		keptBytes.Add(-n)
	}
}

// decodeMessages decodes the messages' Arrow batches with the stream's
// hardened decoder, side by side: the commit's encoding waits for all of
// them. The caller releases the batches.
func decodeMessages(ds *market.Dataset, msgs []kafka.Message) ([][]arrow.RecordBatch, error) {
	out := make([][]arrow.RecordBatch, len(msgs))
	err := workers.Each(len(msgs), func(i int) error {
		recs, err := stream.DecodeBatches(ds, msgs[i].Value)
		if err != nil {
			return fmt.Errorf("%s: %w", stream.Origin(msgs[i]), err)
		}
		out[i] = recs
		return nil
	})
	return out, err
}

// splitBatches appends the rows of one message's batches, sliced by Hive
// partition, to parts.
func splitBatches(ds *market.Dataset, m kafka.Message, recs []arrow.RecordBatch, parts map[string][]arrow.RecordBatch, cm *Commit, pt *partitioner) error {
	for _, rec := range recs {
		raw, err := pt.rawTimes(rec)
		if err != nil {
			return fmt.Errorf("%s: %w", stream.Origin(m), err)
		}
		n := int(rec.NumRows())
		if n == 0 {
			continue
		}
		lo, hi := raw(0), raw(0)
		for i := 0; i < n; {
			p := pt.of(raw(i))
			j := i + 1
			for ; j < n; j++ {
				v := raw(j)
				lo, hi = min(lo, v), max(hi, v)
				if pt.of(v) != p {
					break
				}
			}
			if i == 0 && j == n {
				// A batch in one partition, the usual case, is kept
				// rather than sliced: a slice is a new array per column,
				// made and released again for every message.
				rec.Retain()
				parts[p] = append(parts[p], rec)
			} else {
				parts[p] = append(parts[p], rec.NewSlice(int64(i), int64(j)))
			}
			i = j
		}
		if first := pt.timeOf(lo); cm.MinTime.IsZero() || first.Before(cm.MinTime) {
			cm.MinTime = first
		}
		if last := pt.timeOf(hi); last.After(cm.MaxTime) {
			cm.MaxTime = last
		}
		cm.Rows += rec.NumRows()
	}
	return nil
}
