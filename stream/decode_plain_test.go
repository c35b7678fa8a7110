package stream

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
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

// randomRows fills n rows of the dataset's row type with random values,
// some floats NaN and some times zero (NULL where the column says so), and
// the strings of random lengths, some empty.
func randomRows(ds *market.Dataset, n int, rng *rand.Rand) any {
	rows := reflect.MakeSlice(reflect.SliceOf(ds.RowType), n, n)
	for i := range n {
		row := rows.Index(i)
		for f := range row.NumField() {
			v := row.Field(f)
			switch {
			case v.Type() == reflect.TypeOf(time.Time{}):
				if rng.IntN(4) > 0 {
					v.Set(reflect.ValueOf(time.Unix(rng.Int64N(4e9), 0).UTC()))
				}
			case v.Kind() == reflect.String:
				s := make([]byte, rng.IntN(3)*rng.IntN(12))
				for j := range s {
					s[j] = byte('A' + rng.IntN(26))
				}
				v.SetString(string(s))
			case v.Kind() == reflect.Float64:
				if rng.IntN(4) == 0 {
					v.SetFloat(math.NaN())
				} else {
					v.SetFloat(rng.NormFloat64() * 100)
				}
			case v.Kind() == reflect.Int64:
				v.SetInt(rng.Int64() >> rng.IntN(64))
			case v.Kind() == reflect.Bool:
				v.SetBool(rng.IntN(2) == 0)
			}
		}
	}
	return rows.Interface()
}

// TestEncodeBatchEveryDataset: for every dataset, of row counts around the
// bitmaps' bytes, EncodeBatch writes what ipc.Writer writes of the
// dataset's Record of the rows, byte for byte, and DecodeBatches reads it
// in place as the IPC reader does.
func TestEncodeBatchEveryDataset(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	for _, ds := range market.Datasets() {
		for _, n := range []int{1, 7, 8, 9, 64, 65, 300} {
			t.Run(fmt.Sprintf("%s/%d", ds.Name, n), func(t *testing.T) {
				rows := randomRows(ds, n, rng)
				rec, err := ds.Record(memory.DefaultAllocator, rows)
				if err != nil {
					t.Fatal(err)
				}
				defer rec.Release()
				want, err := encodeRecordIPC(ds, rec)
				if err != nil {
					t.Fatal(err)
				}
				got, err := EncodeBatch(ds, rows)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("EncodeBatch wrote %d bytes unlike ipc.Writer's %d", len(got), len(want))
				}
				recs, ok := decodePlain(ds, got[len(schemaPrefix()[ds]):])
				if !ok {
					t.Fatal("not read in place")
				}
				defer release(recs)
				viaIPC, err := decodeIPC(ds, got)
				if err != nil {
					t.Fatal(err)
				}
				defer release(viaIPC)
				if len(recs) != 1 || !recordsEqual(recs, viaIPC) || !recordsEqual(recs, []arrow.RecordBatch{rec}) {
					t.Error("read in place unlike the IPC reader or the batch written")
				}
			})
		}
	}
}
