package stream

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tickerlake/tickerlake/market"
)

// hostileQuotes are option quotes with random floats, some of them NULL.
func hostileQuotes(n int) []market.OptionQuote {
	rng := rand.New(rand.NewPCG(3, 5))
	snap := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	f := func() float64 {
		if rng.IntN(6) == 0 {
			return math.NaN()
		}
		return math.Float64frombits(rng.Uint64()&^(0x7ff<<52) | 0x3ff<<52)
	}
	q := make([]market.OptionQuote, n)
	for i := range q {
		q[i] = market.OptionQuote{SnapshotTS: snap, Symbol: "AAPL", ContractSymbol: "AAPL261218C00100000", Type: market.Call,
			Expiration: snap, Strike: f(), Bid: f(), Ask: f(), LastPrice: f(), IV: f(), Delta: f(), Volume: rng.Int64(), IngestedAt: snap}
	}
	return q
}

// TestDecodeCompressedBodies: a stream whose batches declare compressed
// bodies is not read in place but by the IPC reader, which gives the batch
// that was written. (The string columns' offsets, behind the length the
// compressor puts first, would fail validation too, so the refusal of
// compressed bodies in plainBatch is not alone in keeping them out.)
func TestDecodeCompressedBodies(t *testing.T) {
	rec, err := market.OptionQuotes.Record(memory.DefaultAllocator, hostileQuotes(64))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	for _, tt := range []struct {
		name string
		opt  ipc.Option
	}{{"lz4", ipc.WithLZ4()}, {"zstd", ipc.WithZstd()}} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			// Asking for all the space saved leaves every buffer as it is,
			// behind the length of -1 that says so: lengths a reader that
			// ignores the compression would take for the values'.
			w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()), tt.opt, ipc.WithMinSpaceSavings(1))
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			value := buf.Bytes()
			if !bytes.HasPrefix(value, schemaPrefix()[market.OptionQuotes]) {
				t.Fatal("the compressing writer's schema message differs from the dataset's")
			}
			if recs, ok := decodePlain(market.OptionQuotes, value[len(schemaPrefix()[market.OptionQuotes]):]); ok {
				release(recs)
				t.Error("a batch with compressed bodies was read in place")
			}
			recs, err := DecodeBatches(market.OptionQuotes, value)
			if err != nil {
				t.Fatal(err)
			}
			defer release(recs)
			if len(recs) != 1 || !recordsEqual(recs, []arrow.RecordBatch{rec}) {
				t.Error("decoded batch differs from the one written")
			}
		})
	}
}

// TestDecodePlainAgreesWithIPCReader changes every byte of a batch's
// message, metadata and body, in turn: whatever decodePlain reads in place
// is what the IPC reader reads of the same bytes, and DecodeBatches never
// panics.
func TestDecodePlainAgreesWithIPCReader(t *testing.T) {
	ds := market.OptionQuotes
	value, err := EncodeBatch(ds, hostileQuotes(2))
	if err != nil {
		t.Fatal(err)
	}
	prefix := len(schemaPrefix()[ds])
	plain, agreed := 0, 0
	for i := prefix; i < len(value); i++ {
		for _, x := range []byte{0, 0x80, 0xff, value[i] ^ 0x11} {
			if x == value[i] {
				continue
			}
			v := bytes.Clone(value)
			v[i] = x
			recs, ok := decodePlain(ds, v[prefix:])
			if !ok {
				if r, err := DecodeBatches(ds, v); err == nil {
					readAll(t, r)
					release(r)
				}
				continue
			}
			plain++
			viaIPC, err := decodeIPC(ds, v)
			if err != nil {
				t.Errorf("byte %d set to %#x: read in place, the IPC reader refuses it: %v", i, x, err)
			} else if len(viaIPC) != len(recs) || !recordsEqual(recs, viaIPC) {
				t.Errorf("byte %d set to %#x: read in place unlike the IPC reader", i, x)
			} else {
				agreed++
			}
			readAll(t, recs)
			release(recs)
			release(viaIPC)
		}
	}
	if plain == 0 {
		t.Fatal("no changed message was read in place")
	}
	t.Logf("%d changed messages read in place, %d as the IPC reader reads them", plain, agreed)
}

// recordsEqual compares batches value for value, a NaN equal to a NaN.
func recordsEqual(a, b []arrow.RecordBatch) bool {
	for i := range a {
		if !array.RecordApproxEqual(a[i], b[i], array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
			return false
		}
	}
	return true
}

func readAll(t *testing.T, recs []arrow.RecordBatch) {
	t.Helper()
	for _, rec := range recs {
		for _, col := range rec.Columns() {
			for i := 0; i < col.Len(); i++ {
				_ = col.ValueStr(i)
			}
		}
	}
}
