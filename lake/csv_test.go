package lake

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tickerlake/tickerlake/market"
)

// TestEncodeCSVMatchesArrow checks the CSV objects are byte for byte what
// arrow-go's CSV writer makes of the same batches, nulls, repeats and
// quoting included.
func TestEncodeCSVMatchesArrow(t *testing.T) {
	ts := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	quotes := []market.OptionQuote{
		{SnapshotTS: ts, Symbol: "BRK.B", ContractSymbol: "BRKB261127C00480000", Type: market.Call, Expiration: ts.Truncate(24 * time.Hour),
			Strike: 480, LastPrice: 1.25, Bid: math.NaN(), Ask: 1.3, Volume: 7, ContractSize: "REGULAR", Currency: "USD",
			LastTradeTS: ts.Add(-time.Minute), IV: 0.2512345678901, IngestedAt: ts.Add(time.Second)},
		{SnapshotTS: ts, Symbol: "BRK.B", ContractSymbol: "BRKB261127P00480000", Type: market.Put, Expiration: ts.Truncate(24 * time.Hour),
			Strike: 480.5, LastPrice: math.NaN(), ContractSize: `odd, "quoted"` + "\nsize", Currency: "USD", IngestedAt: ts.Add(time.Second)},
		{SnapshotTS: ts.Add(123456789 * time.Nanosecond), Symbol: "X", ContractSymbol: "X1", Type: market.Put, Strike: 1e-7,
			Delta: -1e21, InTheMoney: true, IngestedAt: ts.Add(2 * time.Second)},
		{SnapshotTS: ts.Add(123456789 * time.Nanosecond), Symbol: " lead", ContractSymbol: `\.`, Type: market.Call, Strike: 999999.9999,
			LastPrice: 1e6, Bid: 0.0001, Ask: 0.00005, Change: math.Copysign(0, -1), PercentChange: -12.5, SourceIV: math.Inf(1),
			UnderlyingPrice: 123456.7, Mid: 0.1 + 0.2, Delta: -0.4999, Currency: "r\rs", IngestedAt: ts.Add(2 * time.Second)},
	}
	bars := []market.DailyBar{
		{Symbol: "AAPL", Date: ts.Truncate(24 * time.Hour), Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 100, IngestedAt: ts},
		{Symbol: "AAPL", Date: ts.Truncate(24*time.Hour).AddDate(0, 0, 1), Open: 1, Close: 1, Imputed: true, IngestedAt: ts},
	}
	// Enough rows to be formatted in chunks side by side, where the
	// machine has the cores for it.
	var chain []market.OptionQuote
	for i := range 3*csvChunkRows + 17 {
		q := quotes[i%len(quotes)]
		q.ContractSymbol = fmt.Sprintf("X%07d", i)
		q.Strike, q.Volume, q.SnapshotTS = float64(i)/8, int64(i), ts.Add(time.Duration(i/100)*time.Second)
		chain = append(chain, q)
	}
	// Texts repeated down a column, of every length around the 32 bytes
	// copied in words, quoted or not.
	var repeats []market.DailyBar
	for n := range 41 {
		for _, sym := range []string{strings.Repeat("s", n), strings.Repeat(",", n)} {
			for k := range 3 {
				repeats = append(repeats, market.DailyBar{Symbol: sym, Date: ts.Truncate(24 * time.Hour), Open: 1 / float64(n+1),
					High: 1e-7 * float64(n+1), Low: float64(k), Close: 1e300 / float64(n+1), IngestedAt: ts})
			}
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, tc := range []struct {
		name string
		ds   *market.Dataset
		rows any
	}{{"option_quotes", market.OptionQuotes, quotes}, {"daily_bars", market.DailyBars, bars}, {"chunked", market.OptionQuotes, chain},
		{"repeats", market.DailyBars, repeats}} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := tc.ds.Record(memory.DefaultAllocator, tc.rows)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			// A batch of one row, then batches of 37, as the writer's
			// chains come: the columns that repeat within batches look
			// texts up, and the others stop and look again.
			recs := []arrow.RecordBatch{rec.NewSlice(0, 1)}
			for from := int64(1); from < rec.NumRows(); from += 37 {
				recs = append(recs, rec.NewSlice(from, min(from+37, rec.NumRows())))
			}
			defer func() {
				for _, r := range recs {
					r.Release()
				}
			}()
			got, err := encodeCSV(nil, tc.ds, recs)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			cw := csv.NewWriter(&want, tc.ds.ArrowSchema(), csv.WithHeader(true), csv.WithNullWriter(""))
			for _, r := range recs {
				if err := cw.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := cw.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("CSV differs from arrow's:\ngot\n%s\nwant\n%s", got, want.Bytes())
			}
		})
	}
}

// TestAppendFloat checks the four-decimal fast path against strconv on the
// edges of where it applies and on random values of every shape.
func TestAppendFloat(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.3, 0.1 + 0.2, 1.1, 2.675, 0.0001, -0.0001, 0.00005, 0.00015,
		99999.9999, 999999.9999, 1e6, -1e6, 123456.7, 1e10, 1e15, 1e21, 5e-324, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1),
		1.0000000000000002, 0.30000000000000004, 12345.678900000001}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		switch rng.IntN(4) {
		case 0: // prices and strikes: few decimals
			vals = append(vals, float64(rng.Int64N(2e10)-1e10)/math.Pow(10, float64(rng.IntN(6))))
		case 1: // analytics: full precision
			vals = append(vals, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(12)-6)))
		case 2: // sums of decimals, which carry binary noise
			vals = append(vals, float64(rng.IntN(10000))/100+float64(rng.IntN(100))/10000)
		default: // any bit pattern
			vals = append(vals, math.Float64frombits(rng.Uint64()))
		}
	}
	for _, v := range vals {
		if got, want := floatText(v), strconv.FormatFloat(v, 'g', -1, 64); got != want {
			t.Fatalf("%v (%#x): %q, strconv %q", v, math.Float64bits(v), got, want)
		}
	}
}

// floatText is putFloat's text for v, written over garbage.
func floatText(v float64) string {
	var b [csvRoom]byte
	for i := range b {
		b[i] = 0xa5
	}
	return string(b[:putFloat(&b, v)])
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 1.25, -0.0001, 999999.9999, 0.1 + 0.2, 1e21} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if got, want := floatText(v), strconv.FormatFloat(v, 'g', -1, 64); got != want {
			t.Fatalf("%v: %q, strconv %q", v, got, want)
		}
	})
}

// BenchmarkEncodeCSV writes one snapshot's option quotes as the writer
// gets them: a batch of some 46 rows per chain.
func BenchmarkEncodeCSV(b *testing.B) {
	ts := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	var recs []arrow.RecordBatch
	for c := range 280 {
		quotes := make([]market.OptionQuote, 46)
		for i := range quotes {
			quotes[i] = market.OptionQuote{SnapshotTS: ts, Symbol: "AAPL", ContractSymbol: fmt.Sprintf("AAPL261127C%08d", c*46+i), Type: market.Call,
				Expiration: ts.Truncate(24 * time.Hour), Strike: 100 + float64(i), LastPrice: 1.25, Bid: 1.2, Ask: 1.3, Change: math.NaN(),
				Volume: int64(i), ContractSize: "REGULAR", Currency: "USD", LastTradeTS: ts.Add(-time.Minute), UnderlyingPrice: 150,
				Mid: 1.25, IV: 0.2512345678901, Delta: 0.51234567, Gamma: 0.0123456, Theta: -0.0234567, Vega: 0.1234567, Rho: 0.0345678,
				Moneyness: (100 + float64(i)) / 150, DaysToExpiry: 7.125, IngestedAt: ts.Add(time.Second)}
		}
		rec, err := market.OptionQuotes.Record(memory.DefaultAllocator, quotes)
		if err != nil {
			b.Fatal(err)
		}
		defer rec.Release()
		recs = append(recs, rec)
	}
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		var err error
		if out, err = encodeCSV(out[:0], market.OptionQuotes, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(280*46*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestUTCAppender checks the hand-written UTC timestamps against time's
// layouts, for every unit, with and without a zone in the type, on the
// edges of years 0-9999 and on random instants of every size.
func TestUTCAppender(t *testing.T) {
	day := int64(86400)
	secs := []int64{0, -1, 1, minCSVSecond - 1, minCSVSecond, minCSVSecond + 1, minCSVSecond + 59*day, minCSVSecond + 60*day,
		endCSVSecond - 1, endCSVSecond, 951782400 /* 2000-02-29 */, 951868800, 4107542400 /* 2100-02-28 */, -2203891200, 1795219200}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, unit := range []arrow.TimeUnit{arrow.Second, arrow.Millisecond, arrow.Microsecond, arrow.Nanosecond} {
		per := int64(time.Second / unit.Multiplier())
		vals := []int64{math.MinInt64, math.MinInt64 + 1, math.MaxInt64, math.MaxInt64 - 1}
		for _, s := range secs {
			if s > math.MaxInt64/per || s < math.MinInt64/per {
				continue
			}
			for _, sub := range []int64{0, 1, per - 1, per / 2, per / 10, -1, -per + 1} {
				vals = append(vals, s*per+sub)
			}
		}
		for range 500000 {
			switch rng.IntN(3) {
			case 0: // years 0 to 9999
				vals = append(vals, (minCSVSecond+rng.Int64N(endCSVSecond-minCSVSecond))*per+rng.Int64N(per))
			case 1: // these decades, whole and part seconds
				v := (1e9 + rng.Int64N(2e9)) * per
				if rng.IntN(2) == 0 {
					v += rng.Int64N(per)
				}
				vals = append(vals, v)
			default:
				vals = append(vals, int64(rng.Uint64()))
			}
		}
		for _, zone := range []string{"", "UTC"} {
			typ := &arrow.TimestampType{Unit: unit, TimeZone: zone}
			want, err := layoutAppender(typ)
			if err != nil {
				t.Fatal(err)
			}
			got := newUTCWriter(unit, zone != "")
			var b [csvRoom]byte
			for _, v := range vals {
				if g, w := string(b[:got.put(&b, v)]), string(want(nil, arrow.Timestamp(v))); g != w {
					t.Fatalf("%s %q: %d: %q, layout %q", unit, zone, v, g, w)
				}
			}
		}
	}
}

// TestCSVFieldWriters checks the in-place writers of integers, dates and
// the quoting test, each written over garbage, against strconv, time's
// layout and a byte by byte reading of encoding/csv's rule.
func TestCSVFieldWriters(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	garbage := func() *[csvRoom]byte {
		var b [csvRoom]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return &b
	}
	ints := []int64{0, 1, 9, 10, 99, 100, 9999999, 10000000, 99999999, 1e8, -1, -10, math.MaxInt64, math.MinInt64}
	for range 100000 {
		ints = append(ints, rng.Int64N(1e9)-1e6, int64(rng.Uint64()))
	}
	for _, v := range ints {
		b := garbage()
		if got, want := string(b[:putInt(b, v)]), strconv.FormatInt(v, 10); got != want {
			t.Fatalf("putInt(%d) = %q", v, got)
		}
	}
	days := []int32{0, -1, 1, minCSVSecond/86400 - 1, minCSVSecond / 86400, endCSVSecond/86400 - 1, endCSVSecond / 86400,
		11016 /* 2000-02-29 */, math.MaxInt32, math.MinInt32}
	for range 100000 {
		days = append(days, rng.Int32N(4e6)-1e6, int32(rng.Uint32()))
	}
	for _, d := range days {
		b := garbage()
		if got, want := string(b[:putDate(b, arrow.Date32(d))]), arrow.Date32(d).ToTime().Format("2006-01-02"); got != want {
			t.Fatalf("putDate(%d) = %q, want %q", d, got, want)
		}
	}
	quoted := func(s string) bool {
		if s == `\.` {
			return true
		}
		if strings.ContainsAny(s, ",\"\r\n") {
			return true
		}
		r, _ := utf8.DecodeRuneInString(s)
		return s != "" && unicode.IsSpace(r)
	}
	const alphabet = "aZ09 ,\"\r\n\t\\.\u00a0\u2028é"
	for range 200000 {
		var sb strings.Builder
		for range rng.IntN(20) {
			sb.WriteString(string([]rune(alphabet)[rng.IntN(len([]rune(alphabet)))]))
		}
		if s := sb.String(); needsQuotes(s) != quoted(s) {
			t.Fatalf("needsQuotes(%q) = %v", s, needsQuotes(s))
		}
	}
}
