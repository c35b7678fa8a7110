package lake_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// interleaved is the messages of three option snapshots on two partitions
// of the quotes' topic, as a fetch across partitions hands them over: the
// partitions' messages alternate.
func interleaved(t *testing.T) (batch []kafka.Message, rows int) {
	t.Helper()
	ing := time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC)
	var parts [2][]kafka.Message
	for p := range parts {
		var quotes []market.OptionQuote
		for s := range 3 {
			at := time.Date(2026, 1, 6, 15+s, 0, 0, 0, time.UTC)
			quotes = append(quotes, laketest.OptionChain([]string{"AAPL", "MSFT"}[p], at, 2, 3, ing)...)
		}
		rows += len(quotes)
		parts[p] = laketest.Messages(t, market.OptionQuotes, p, int64(10*p), 12, quotes)
	}
	for i := range max(len(parts[0]), len(parts[1])) {
		for _, msgs := range parts {
			if i < len(msgs) {
				batch = append(batch, msgs[i])
			}
		}
	}
	return batch, rows
}

// TestWriteBatchCommitsEachPartitionsRange: a batch whose partitions'
// messages alternate commits one range a partition, of that partition's
// offsets, and stores every row once.
func TestWriteBatchCommitsEachPartitionsRange(t *testing.T) {
	batch, rows := interleaved(t)
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	if err := laketest.Writer(st).WriteBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	stored := laketest.StoredKeys(t, st, market.OptionQuotes)
	if len(stored) != rows {
		t.Errorf("%d keys stored, want %d", len(stored), rows)
	}
	want := map[int][2]int64{}
	for _, m := range batch {
		r, ok := want[m.Partition]
		if !ok {
			r = [2]int64{m.Offset, m.Offset}
		}
		want[m.Partition] = [2]int64{min(r[0], m.Offset), max(r[1], m.Offset)}
	}
	for k, s := range stored {
		if len(s.In) != 1 {
			t.Errorf("key %s stored %d times, want once", k, len(s.In))
			continue
		}
		cm := s.In[0]
		if r := want[cm.Partition]; cm.FirstOffset != r[0] || cm.LastOffset != r[1] {
			t.Errorf("key %s in a commit of partition %d offsets %d..%d, want %d..%d", k, cm.Partition, cm.FirstOffset, cm.LastOffset, r[0], r[1])
		}
	}
}

// TestWriteBatchNamesTheCorruptMessage: one message of a batch whose Arrow
// stream is cut short fails the batch, and the error names that message.
func TestWriteBatchNamesTheCorruptMessage(t *testing.T) {
	for _, at := range []int{0, 3, -1} { // the first, one in the middle, the last
		batch, _ := interleaved(t)
		i := (at + len(batch)) % len(batch)
		bad := batch[i]
		bad.Value = bad.Value[:len(bad.Value)/2]
		batch[i] = bad
		st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
		if err != nil {
			t.Fatal(err)
		}
		err = laketest.Writer(st).WriteBatch(context.Background(), batch)
		if err == nil {
			t.Fatalf("message %d cut short: the batch was written", i)
		}
		if !strings.Contains(err.Error(), stream.Origin(bad)) {
			t.Errorf("message %d cut short: error %q does not name %s", i, err, stream.Origin(bad))
		}
	}
}
