package synthetic

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func instant(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// universe returns the first n companies of the default universe.
func universe(n int) []market.Company { return market.Universe()[:n] }

// fingerprint prints rows so NaNs compare equal.
func fingerprint[T any](rows []T) string { return fmt.Sprintf("%v", rows) }

func TestDeterminism(t *testing.T) {
	from, to := date("2025-12-01"), date("2026-01-31")
	snap := instant("2026-01-14T17:20:00Z")
	sample := func(m *Market) string {
		var b strings.Builder
		for _, s := range []string{"AAPL", "BRK.B", "MSFT"} {
			b.WriteString(fingerprint(m.Daily(s, from, to)))
			b.WriteString(fingerprint(m.Intraday(s, date("2026-01-14"))))
			b.WriteString(fingerprint(m.Chain(s, snap, 45)))
			fmt.Fprint(&b, m.Spot(s, snap), m.DividendYield(s))
		}
		return b.String()
	}
	base := sample(New(Config{Seed: 7, DefectRate: 0.05}))
	tests := []struct {
		name string
		cfg  Config
		same bool
	}{
		{"same seed", Config{Seed: 7, DefectRate: 0.05}, true},
		{"other seed", Config{Seed: 8, DefectRate: 0.05}, false},
		{"other defect rate", Config{Seed: 7}, false},
		{"smaller universe", Config{Seed: 7, DefectRate: 0.05, Universe: []market.Company{{Symbol: "MSFT"}, {Symbol: "brk-b"}, {Symbol: "AAPL"}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sample(New(tt.cfg)); (got == base) != tt.same {
				t.Errorf("same output = %v, want %v", got == base, tt.same)
			}
		})
	}

	t.Run("any order", func(t *testing.T) {
		m := New(Config{Seed: 7, DefectRate: 0.05})
		m.Daily("AAPL", date("2031-06-01"), date("2031-06-05")) // simulate far ahead first
		if sample(m) != base {
			t.Error("output depends on the order of requests")
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		m := New(Config{Seed: 7, DefectRate: 0.05})
		var wg sync.WaitGroup
		results := make([]string, 4)
		for i := range results {
			wg.Go(func() { results[i] = sample(m) })
		}
		wg.Wait()
		for i, r := range results {
			if r != base {
				t.Errorf("goroutine %d saw different data", i)
			}
		}
	})
}

func TestSymbols(t *testing.T) {
	m := New(Config{Universe: []market.Company{{Symbol: "msft"}, {Symbol: "BRK-B"}, {Symbol: "AAPL"}, {Symbol: "MSFT"}}})
	if got, want := m.Symbols(), []string{"AAPL", "BRK.B", "MSFT"}; !slices.Equal(got, want) {
		t.Errorf("Symbols = %v, want %v", got, want)
	}
	if n := len(New(Config{}).Symbols()); n != len(market.Universe()) {
		t.Errorf("default market has %d symbols, want the universe's %d", n, len(market.Universe()))
	}
	if m.Spot("BRK/B", instant("2026-01-14T17:20:00Z")) <= 0 {
		t.Error("BRK/B should resolve to BRK.B")
	}
	all := New(Config{})
	for _, s := range all.Symbols() {
		if q := all.DividendYield(s); q < 0 || q > 0.03 {
			t.Errorf("%s: dividend yield %v", s, q)
		}
	}
	if q := m.DividendYield("NOPE"); q != 0 {
		t.Errorf("unknown symbol dividend yield %v", q)
	}
}

func TestIntraday(t *testing.T) {
	m := New(Config{Universe: universe(20)})
	cal := market.NYSE()
	tests := []struct {
		name   string
		symbol string
		date   string
		bars   int
	}{
		{"full day", "AAPL", "2026-01-14", 26},
		{"early close", "AAPL", "2026-11-27", 14},
		{"christmas eve", "ABBV", "2026-12-24", 14},
		{"first summer session", "ADBE", "2026-03-09", 26},
		{"anchor", "AAPL", "2010-01-04", 26},
		{"holiday", "AAPL", "2026-12-25", 0},
		{"weekend", "AAPL", "2026-01-17", 0},
		{"before the market", "AAPL", "2009-12-31", 0},
		{"unknown symbol", "ZZZZ", "2026-01-14", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bars := m.Intraday(tt.symbol, date(tt.date))
			if len(bars) != tt.bars {
				t.Fatalf("%d bars, want %d", len(bars), tt.bars)
			}
			want := cal.Bars15(date(tt.date))
			for i, b := range bars {
				if !b.TS.Equal(want[i]) || !cal.InSession(b.TS) || b.Symbol != tt.symbol {
					t.Errorf("bar %d: %s %s is not the session's bar %s", i, b.Symbol, b.TS, want[i])
				}
				checkOHLC(t, b.TS.String(), b.Open, b.High, b.Low, b.Close, b.Volume)
				if i > 0 && b.Open != bars[i-1].Close {
					t.Errorf("bar %d opens at %v, previous closed at %v", i, b.Open, bars[i-1].Close)
				}
			}
		})
	}
}

func checkOHLC(t *testing.T, what string, open, high, low, close float64, volume int64) {
	t.Helper()
	for _, p := range []float64{open, high, low, close} {
		if !(p > 0) || math.Abs(p*100-math.Round(p*100)) > 1e-6 {
			t.Errorf("%s: price %v is not a positive whole number of cents", what, p)
		}
	}
	if low > math.Min(open, close) || high < math.Max(open, close) || low > high {
		t.Errorf("%s: inconsistent OHLC %v %v %v %v", what, open, high, low, close)
	}
	if volume <= 0 {
		t.Errorf("%s: volume %d", what, volume)
	}
}

func TestDailyAggregatesIntraday(t *testing.T) {
	m := New(Config{Universe: universe(40)})
	from, to := date("2026-03-02"), date("2026-04-10")
	days := market.NYSE().TradingDays(from, to)
	for _, sym := range m.Symbols() {
		daily := m.Daily(sym, from, to)
		if len(daily) != len(days) {
			t.Fatalf("%s: %d daily bars, want %d", sym, len(daily), len(days))
		}
		for i, d := range daily {
			if !d.Date.Equal(days[i]) || d.Symbol != sym {
				t.Fatalf("%s: bar %d is %s %s, want %s", sym, i, d.Symbol, d.Date, days[i])
			}
			checkOHLC(t, sym+" "+d.Date.Format(time.DateOnly), d.Open, d.High, d.Low, d.Close, d.Volume)
			bars := m.Intraday(sym, d.Date)
			want := market.DailyBar{Symbol: sym, Date: d.Date, Open: bars[0].Open, Close: bars[len(bars)-1].Close, High: bars[0].High, Low: bars[0].Low}
			for _, b := range bars {
				want.High, want.Low = math.Max(want.High, b.High), math.Min(want.Low, b.Low)
				want.Volume += b.Volume
			}
			if d != want {
				t.Errorf("%s %s: daily %+v, aggregate of intraday %+v", sym, d.Date.Format(time.DateOnly), d, want)
			}
		}
	}
	if got := m.Daily("AAPL", date("2009-12-01"), date("2010-01-06")); len(got) != 3 {
		t.Errorf("Daily across the start of the market: %d bars, want 3", len(got))
	}
	if got := m.Daily("AAPL", to, from); got != nil {
		t.Errorf("Daily with from after to = %v", got)
	}
}

func TestSpot(t *testing.T) {
	m := New(Config{Universe: universe(5)})
	bars := m.Intraday("AAPL", date("2026-01-16"))
	closeFri := bars[len(bars)-1].Close
	prevThu := m.Daily("AAPL", date("2026-01-15"), date("2026-01-15"))[0].Close
	tests := []struct {
		at   string
		want float64
	}{
		{"2026-01-16T14:30:00Z", bars[0].Open}, // the open
		{"2026-01-16T14:44:59Z", bars[0].Open}, // the first bar has not ended
		{"2026-01-16T14:45:00Z", bars[0].Close},
		{"2026-01-16T17:10:00Z", bars[9].Close}, // 17:00 is the end of bar 9
		{"2026-01-16T20:59:59Z", bars[24].Close},
		{"2026-01-16T21:00:00Z", closeFri},
		{"2026-01-17T15:00:00Z", closeFri}, // Saturday
		{"2026-01-19T15:00:00Z", closeFri}, // MLK day
		{"2026-01-16T14:29:59Z", prevThu},  // before the open
		{"2010-01-04T14:00:00Z", 0},        // before the first session
	}
	for _, tt := range tests {
		if got := m.Spot("AAPL", instant(tt.at)); got != tt.want {
			t.Errorf("Spot(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	if got := m.Spot("NOPE", instant("2026-01-16T15:00:00Z")); got != 0 {
		t.Errorf("unknown symbol spot = %v", got)
	}
}
