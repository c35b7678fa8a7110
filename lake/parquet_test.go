package lake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/tickerlake/tickerlake/market"
)

// TestEncodeParquetMatchesFileWriter checks the column-parallel encoder
// writes the very bytes pqarrow.FileWriter's WriteBuffered writes for the
// same batches: nulls alone and in runs, all-null and all-present
// columns, string columns with few values and with too many for a
// dictionary of their own, empty strings, dictionaries of hundreds of
// dates and timestamps, several batches and row groups cut inside a batch
// and on its edge, with few columns plain and with the writer's settings.
func TestEncodeParquetMatchesFileWriter(t *testing.T) {
	ts := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	var quotes []market.OptionQuote
	rng := rand.New(rand.NewPCG(1, 2))
	inRun := false // of nulls in mid and delta
	for i := range maxDictionary + 100 {
		q := market.OptionQuote{SnapshotTS: ts, Symbol: []string{"AAPL", "MSFT"}[i/600], ContractSymbol: fmt.Sprintf("AAPL261127C%08d", i),
			Type: market.Call, Expiration: ts.Truncate(24*time.Hour).AddDate(0, 0, 7+i%13), Strike: 100 + float64(i), LastPrice: 1 + float64(i)/10,
			Bid: math.NaN(), Ask: 1.2, Change: rng.NormFloat64(), Volume: int64(i), ContractSize: "REGULAR", Currency: "USD", IV: 0.25,
			Mid: float64(i % 50), Delta: rng.Float64(), IngestedAt: ts.Add(time.Duration(i/3) * time.Second)}
		if i%3 == 0 {
			q.LastPrice, q.Type, q.LastTradeTS = math.NaN(), market.Put, ts.Add(-time.Duration(i)*time.Minute)
		}
		// Nulls alone, in runs short and long, and values between.
		if rng.IntN(4) == 0 {
			q.Change = math.NaN()
		}
		if rng.IntN(20) == 0 {
			inRun = !inRun
		}
		if inRun {
			q.Mid, q.Delta = math.NaN(), math.NaN()
		}
		// An empty string, the least of a column's values.
		if i >= 600 {
			q.Currency = ""
		}
		if i == 5 {
			q.ContractSymbol = ""
		}
		quotes = append(quotes, q)
	}
	rec, err := market.OptionQuotes.Record(memory.DefaultAllocator, quotes)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	batches := []arrow.RecordBatch{rec.NewSlice(0, 7), rec.NewSlice(7, 7), rec.NewSlice(7, 30), rec.NewSlice(30, rec.NumRows())}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	// Few columns without a dictionary, or the writer's settings: most
	// columns plain, some uncompressed (fresh) or not (compacted).
	someDict := func(maxRows int64) func() *parquet.WriterProperties {
		return func() *parquet.WriterProperties {
			return parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithStats(true),
				parquet.WithMaxRowGroupLength(maxRows), parquet.WithDictionaryFor("strike", false), parquet.WithDictionaryFor("iv", false))
		}
	}
	writers := func(fresh bool) func() *parquet.WriterProperties {
		return func() *parquet.WriterProperties { return parquetProperties(market.OptionQuotes, fresh) }
	}
	for _, tc := range []struct {
		name  string
		props func() *parquet.WriterProperties
		recs  []arrow.RecordBatch
	}{
		{"one batch", someDict(1 << 20), batches[3:]},
		{"batches", someDict(1 << 20), batches},
		{"groups inside batches", someDict(11), batches},
		{"groups on batch edges", someDict(7), batches},
		{"few contracts a group", someDict(100), batches},
		{"no batches", someDict(1 << 20), nil},
		{"fresh, one batch", writers(true), batches[3:]},
		{"fresh, batches", writers(true), batches},
		{"compacted, batches", writers(false), batches},
		{"fresh, batch of one row", writers(true), batches[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := tc.props
			got, err := encodeParquetWith(nil, market.OptionQuotes, tc.recs, props())
			if err != nil {
				t.Fatal(err)
			}
			want := pqarrowFile(t, market.OptionQuotes, props(), tc.recs...)
			if !bytes.Equal(got, want) {
				t.Fatalf("%d bytes differ from pqarrow's %d", len(got), len(want))
			}
		})
	}
}

// TestEncodeParquetReadsBack checks a row group of many small batches,
// written column by column as one array each, reads back as the batches:
// large enough that the column chunks span several pages and the
// dictionaries of unique values fall back to plain pages, where the pages
// are cut at other rows than pqarrow's for the batches (but at the same
// as for one batch of them all, whose bytes it writes), with nulls in
// batches sliced at odd offsets and batches without any; as the writer's
// fresh files (their analytics columns uncompressed) and as compaction's.
func TestEncodeParquetReadsBack(t *testing.T) {
	ts := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	const rows = 140000 // a float column's 1 MiB page holds 131072 values
	quotes := make([]market.OptionQuote, rows)
	for i := range quotes {
		quotes[i] = market.OptionQuote{SnapshotTS: ts, Symbol: []string{"AAPL", "MSFT", "X"}[i%3], ContractSymbol: fmt.Sprintf("C%08d", i),
			Type: market.Call, Expiration: ts.Truncate(24*time.Hour).AddDate(0, 0, i%40), Strike: float64(i) / 8, LastPrice: float64(i) + 0.25,
			Bid: math.NaN(), Ask: float64(i) / 3, Volume: int64(i), OpenInterest: int64(i * 7), InTheMoney: i%5 == 0, ContractSize: "REGULAR",
			Currency: "USD", IV: math.NaN(), IngestedAt: ts.Add(time.Duration(i) * time.Millisecond)}
		if (i/1000)%2 == 0 { // batches with nulls and batches without
			quotes[i].Bid, quotes[i].IV, quotes[i].LastTradeTS = float64(i)/100, float64(i%997)/1000, ts.Add(-time.Duration(i)*time.Second)
		}
		if i%7 == 0 {
			quotes[i].LastPrice = math.NaN()
		}
	}
	rec, err := market.OptionQuotes.Record(memory.DefaultAllocator, quotes)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	var batches []arrow.RecordBatch
	for lo := int64(0); lo < rows; {
		hi := min(lo+37+lo%29, rows)
		batches = append(batches, rec.NewSlice(lo, hi))
		lo = hi
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, tc := range []struct {
		name   string
		encode func([]byte, *market.Dataset, []arrow.RecordBatch) ([]byte, error)
		fresh  bool
	}{{"compacted", encodeParquet, false}, {"fresh", encodeFreshParquet, true}} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.encode(nil, market.OptionQuotes, batches)
			if err != nil {
				t.Fatal(err)
			}
			// The pages are cut where pqarrow cuts them for the batches
			// written as one: the plain column chunks hold the same bytes.
			sameChunks(t, data, pqarrowFile(t, market.OptionQuotes, parquetProperties(market.OptionQuotes, tc.fresh), rec))
			rd, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			fr, err := pqarrow.NewFileReader(rd, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			tbl, err := fr.ReadTable(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			if tbl.NumRows() != rows || rd.NumRowGroups() != 1 {
				t.Fatalf("%d rows in %d row groups, want %d in 1", tbl.NumRows(), rd.NumRowGroups(), rows)
			}
			pages := 0
			for i := range tbl.NumCols() {
				got := tbl.Column(int(i)).Data()
				if len(got.Chunks()) != 1 {
					t.Fatalf("column %s read back in %d chunks", tbl.Schema().Field(int(i)).Name, len(got.Chunks()))
				}
				if !array.Equal(got.Chunk(0), rec.Column(int(i))) {
					t.Errorf("column %s reads back other values", tbl.Schema().Field(int(i)).Name)
				}
				pr, err := rd.RowGroup(0).GetColumnPageReader(int(i))
				if err != nil {
					t.Fatal(err)
				}
				for pr.Next() {
					pages++
				}
			}
			if cols := int(tbl.NumCols()); pages <= cols+2 {
				t.Errorf("%d pages in %d columns: the test wants columns of several pages", pages, cols)
			}
			// parquet-go, which the lake's other readers stand for, reads
			// the same values.
			pf, err := pqgo.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"iv", "strike"} {
				var want []float64
				for _, q := range quotes {
					if v := map[string]float64{"iv": q.IV, "strike": q.Strike}[name]; !math.IsNaN(v) {
						want = append(want, v)
					}
				}
				if got := parquetGoDoubles(t, pf.Root().Column(name)); !slices.Equal(got, want) {
					t.Errorf("parquet-go reads other %s values (%d, want %d)", name, len(got), len(want))
				}
			}
			// Fresh files store the computed analytics uncompressed.
			for i := range rd.RowGroup(0).NumColumns() {
				c, err := rd.MetaData().RowGroup(0).ColumnChunk(i)
				if err != nil {
					t.Fatal(err)
				}
				want := compress.Codecs.Zstd
				if tc.fresh && analytics[c.PathInSchema().String()] {
					want = compress.Codecs.Uncompressed
				}
				if c.Compression() != want {
					t.Errorf("column %s compressed with %s, want %s", c.PathInSchema(), c.Compression(), want)
				}
			}
		})
	}
}

// parquetGoDoubles reads a float column's values, nulls left out, with
// parquet-go.
func parquetGoDoubles(t *testing.T, col *pqgo.Column) []float64 {
	t.Helper()
	pages := col.Pages()
	defer pages.Close()
	var out []float64
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("column %s: %v", col.Name(), err)
		}
		vals := make([]pqgo.Value, p.NumValues())
		if n, err := p.Values().ReadValues(vals); err != nil && err != io.EOF || n != len(vals) {
			t.Fatalf("column %s: %d of %d values: %v", col.Name(), n, len(vals), err)
		}
		for _, v := range vals {
			if !v.IsNull() {
				out = append(out, v.Double())
			}
		}
	}
}

// pqarrowFile is the Parquet file pqarrow.FileWriter writes of recs with
// props, each written with WriteBuffered.
func pqarrowFile(t *testing.T, ds *market.Dataset, props *parquet.WriterProperties, recs ...arrow.RecordBatch) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(ds.ArrowSchema(), &buf, props,
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(memory.DefaultAllocator)))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := fw.WriteBuffered(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sameChunks checks the column chunks of Parquet file got that hold
// plain values only (no dictionary) are byte for byte want's.
func sameChunks(t *testing.T, got, want []byte) {
	t.Helper()
	var mds [2]*metadata.FileMetaData
	for i, data := range [][]byte{got, want} {
		rd, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		mds[i] = rd.MetaData()
	}
	if mds[0].NumRowGroups() != mds[1].NumRowGroups() {
		t.Fatalf("%d row groups, want %d", mds[0].NumRowGroups(), mds[1].NumRowGroups())
	}
	for g := range mds[0].NumRowGroups() {
		for c := range mds[0].RowGroup(g).NumColumns() {
			var chunks [2][]byte
			var dict bool
			for i, md := range mds {
				cc, err := md.RowGroup(g).ColumnChunk(c)
				if err != nil {
					t.Fatal(err)
				}
				dict = dict || cc.HasDictionaryPage()
				off := cc.DataPageOffset()
				if cc.HasDictionaryPage() {
					off = cc.DictionaryPageOffset()
				}
				chunks[i] = [][]byte{got, want}[i][off : off+cc.TotalCompressedSize()]
			}
			if !dict && !bytes.Equal(chunks[0], chunks[1]) {
				t.Errorf("row group %d, column %d: %d bytes differ from pqarrow's %d", g, c, len(chunks[0]), len(chunks[1]))
			}
		}
	}
}
