package twelvedata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// start is a Monday 18:00 New York, after the close of a full session.
var start = time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)

var session = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) // a Friday

func keys(n int) []string {
	var k []string
	for i := 0; i < n; i++ {
		k = append(k, fmt.Sprintf("td-key-%d", i+1))
	}
	return k
}

func universe(n int) []string {
	var syms []string
	for _, c := range market.Universe()[:n] {
		syms = append(syms, c.Symbol)
	}
	return syms
}

func newSource(t testing.TB, srvURL string, clock clock.Clock, limits ratelimit.Limits, nkeys int) *Source {
	p, err := ratelimit.NewPool(limits, keys(nkeys))
	if err != nil {
		t.Fatal(err)
	}
	return &Source{Client: &Client{BaseURL: srvURL}, Pool: p, Clock: clock}
}

func dailyTask(syms ...string) ingest.Task {
	return ingest.NewTask(ingest.Daily, session, session.AddDate(0, 0, 1), syms...)
}

func TestPlan120SymbolsOverFiveKeys(t *testing.T) {
	clock := clock.NewManual(start)
	fake, srv := newFake(t, clock)
	src := newSource(t, srv.URL, clock, ratelimit.Limits{PerWindow: 8, PerDay: 800}, 5)
	logs := &captureHandler{}
	src.Log = slog.New(logs)
	m := metrics.New()
	src.Metrics = ingest.NewProviderMetrics(m)
	syms := universe(120)
	var out sink
	if err := src.Fetch(t.Context(), dailyTask(syms...), out.emit); err != nil {
		t.Fatal(err)
	}
	// Progress: one line per window waited, then the end.
	progress := logs.named("collection progress")
	if len(progress) != 2 {
		t.Errorf("%d progress lines, want one per window waited (2)", len(progress))
	} else {
		first := progress[0]
		if first["done"] != "40" || first["total"] != "120" || first["credits_left"] != "3960" || first["eta"] != "2m2s" {
			t.Errorf("first progress line %v, want 40/120 done, 3960 credits left, eta 2m2s", first)
		}
	}
	if end := logs.named("collection finished"); len(end) != 1 || end[0]["done"] != "120" {
		t.Errorf("final line %v", end)
	}
	for _, k := range keys(5) {
		for _, r := range logs.records {
			for _, v := range r {
				if strings.Contains(v, k) {
					t.Fatalf("a log line shows an API key: %v", r)
				}
			}
		}
	}
	if got := testutil.ToFloat64(src.Metrics.Calls.WithLabelValues("twelvedata", "key3", ingest.OutcomeOK)); got != 3 {
		t.Errorf("key3 made %v calls, want 3", got)
	}
	if got := testutil.ToFloat64(src.Metrics.CreditsLeft.WithLabelValues("twelvedata")); got != 4000-120 {
		t.Errorf("credits left gauge %v, want 3880", got)
	}
	for i := range 5 {
		label := fmt.Sprintf("key%d", i+1)
		if got := testutil.ToFloat64(src.Metrics.KeyCredits.WithLabelValues("twelvedata", label)); got != 800-24 {
			t.Errorf("%s credits left gauge %v, want 776 (3 calls of 8)", label, got)
		}
	}
	took := clock.Now().Sub(start)
	t.Logf("120 symbols over 5 keys: %d calls, done after %v of clock time", len(fake.Calls()), took)
	if took > 3*time.Minute {
		t.Errorf("took %v, want within 3 minutes", took)
	}
	if fake.Throttled() != 0 {
		t.Errorf("%d calls answered 429, want none", fake.Throttled())
	}
	credits, calls := fake.MostPerKey(time.Minute)
	if len(credits) != 5 {
		t.Errorf("%d keys used, want 5", len(credits))
	}
	for k, c := range credits {
		if c > 8 || calls[k] > 8 {
			t.Errorf("%s: %d credits in %d calls within one minute, limit 8", k, c, calls[k])
		}
	}
	if len(out.bars) != 120 {
		t.Errorf("%d symbols emitted, want 120", len(out.bars))
	}
	for _, s := range syms {
		if got := out.bars[s]; !slices.Equal(got, []string{"2026-11-20"}) {
			t.Errorf("%s: bars %v, want just the session asked for", s, got)
		}
	}
	for _, r := range out.raws {
		if r.Topic != stream.DailyData || stream.Header(kafkaMsg(r), stream.HeaderTask) != dailyTask(syms...).ID {
			t.Fatalf("message for %s on %s with headers %v", r.Symbol, r.Topic, r.Headers)
		}
	}
}

func TestProviderBadDays(t *testing.T) {
	errAt := func(body string, status int, calls ...int) func(int, string, []string) (int, []byte, bool) {
		return func(n int, _ string, _ []string) (int, []byte, bool) {
			if slices.Contains(calls, n) {
				return status, []byte(body), true
			}
			return 0, nil, false
		}
	}
	read := func(name string) string { return string(testdata(t, name)) }
	tests := []struct {
		name       string
		syms       []string
		keys       int
		script     func(n int, key string, syms []string) (int, []byte, bool)
		wantBars   []string          // symbols that land
		wantFailed map[string]string // symbol -> substring of its reason
		minWait    time.Duration     // clock time the run must have waited
	}{
		{name: "429 JSON with HTTP 200", syms: []string{"AAPL", "MSFT"}, keys: 1,
			script: errAt(read("error_429_minute.json"), 200, 0), wantBars: []string{"AAPL", "MSFT"}, minWait: time.Minute},
		{name: "429 with HTTP 429", syms: []string{"AAPL", "MSFT"}, keys: 1,
			script: errAt(read("error_429_minute.json"), 429, 0), wantBars: []string{"AAPL", "MSFT"}, minWait: time.Minute},
		{name: "429 status without a body", syms: []string{"AAPL"}, keys: 1,
			script: errAt("", 429, 0), wantBars: []string{"AAPL"}, minWait: time.Minute},
		{name: "storm of 429s", syms: []string{"AAPL", "MSFT", "JPM"}, keys: 2,
			script:   errAt(read("error_429_minute.json"), 429, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
			wantBars: []string{"AAPL", "MSFT", "JPM"}, minWait: 6 * time.Minute},
		{name: "symbol not found alone", syms: []string{"ZZZZ"}, keys: 1,
			script: errAt(read("not_found.json"), 200, 0), wantFailed: map[string]string{"ZZZZ": "not found"}},
		{name: "batch where one symbol fails", syms: []string{"AAPL", "ZZZZ", "MSFT"}, keys: 1,
			script: errAt(read("batch_partial.json"), 200, 0), wantBars: []string{"AAPL", "MSFT"},
			wantFailed: map[string]string{"ZZZZ": "**symbol** not found"}},
		{name: "malformed JSON once", syms: []string{"AAPL"}, keys: 1,
			script: errAt(read("malformed.json"), 200, 0), wantBars: []string{"AAPL"}},
		{name: "malformed JSON always", syms: []string{"AAPL"}, keys: 1,
			script:     func(int, string, []string) (int, []byte, bool) { return 200, testdata(t, "malformed.json"), true },
			wantFailed: map[string]string{"AAPL": "malformed response"}},
		{name: "gateway error page", syms: []string{"AAPL"}, keys: 1,
			script: errAt(read("bad_gateway.html"), 502, 0, 1), wantBars: []string{"AAPL"}},
		{name: "empty values", syms: []string{"AAPL"}, keys: 1,
			script: errAt(read("empty_values.json"), 200, 0)},
		{name: "no data for the dates", syms: []string{"AAPL"}, keys: 1,
			script: errAt(read("no_data.json"), 200, 0)},
		{name: "values missing fields still land", syms: []string{"AAPL"}, keys: 1,
			script: errAt(read("missing_fields.json"), 200, 0), wantBars: []string{"AAPL"}},
		{name: "rejected key is dropped", syms: []string{"AAPL", "MSFT"}, keys: 2,
			script: func(_ int, key string, _ []string) (int, []byte, bool) {
				if key == "td-key-1" {
					return 401, testdata(t, "error_401.json"), true
				}
				return 0, nil, false
			}, wantBars: []string{"AAPL", "MSFT"}},
		{name: "every key rejected", syms: []string{"AAPL"}, keys: 2,
			script: func(int, string, []string) (int, []byte, bool) {
				return 200, testdata(t, "error_401.json"), true
			}, wantFailed: map[string]string{"AAPL": "every API key was rejected"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := clock.NewManual(start)
			fake, srv := newFake(t, clock)
			fake.Script = tc.script
			src := newSource(t, srv.URL, clock, ratelimit.Limits{PerWindow: 8, PerDay: 800}, tc.keys)
			var out sink
			err := src.Fetch(t.Context(), dailyTask(tc.syms...), out.emit)
			if len(tc.wantFailed) == 0 && err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(tc.wantFailed) > 0 {
				ie, ok := ingest.AsIncomplete(err)
				if !ok {
					t.Fatalf("Fetch error %v, want an IncompleteError", err)
				}
				for sym, reason := range tc.wantFailed {
					if !strings.Contains(ie.Failed[sym], reason) {
						t.Errorf("%s failed with %q, want it to say %q", sym, ie.Failed[sym], reason)
					}
					if !strings.Contains(err.Error(), sym) {
						t.Errorf("error %q does not name %s", err, sym)
					}
				}
				if len(ie.Failed) != len(tc.wantFailed) {
					t.Errorf("failed %v, want only %v", ie.Failed, tc.wantFailed)
				}
			}
			var got []string
			for s := range out.bars {
				got = append(got, s)
			}
			slices.Sort(got)
			want := slices.Clone(tc.wantBars)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("landed %v, want %v", got, want)
			}
			if waited := clock.Now().Sub(start); waited < tc.minWait {
				t.Errorf("waited %v, want at least %v", waited, tc.minWait)
			}
			if fake.Throttled() != 0 {
				t.Errorf("went over the fake's own limits %d times", fake.Throttled())
			}
		})
	}
}

func TestMissingFieldsPassThrough(t *testing.T) {
	clock := clock.NewManual(start)
	fake, srv := newFake(t, clock)
	fake.Script = func(int, string, []string) (int, []byte, bool) { return 200, testdata(t, "missing_fields.json"), true }
	src := newSource(t, srv.URL, clock, ratelimit.Limits{}, 1)
	var out sink
	task := ingest.NewTask(ingest.Daily, session.AddDate(0, 0, -1), session.AddDate(0, 0, 1), "AAPL")
	if err := src.Fetch(t.Context(), task, out.emit); err != nil {
		t.Fatal(err)
	}
	ts, err := wire.DecodeTimeSeries(out.raws[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.Values) != 2 || ts.Values[0].Volume != "" || ts.Values[1].Open != "" {
		t.Errorf("values %+v, want both bars with their missing fields left for the processor to name", ts.Values)
	}
}

func TestSessionFilter(t *testing.T) {
	clock := clock.NewManual(start)
	fake, srv := newFake(t, clock)
	fake.Script = func(int, string, []string) (int, []byte, bool) {
		return 200, testdata(t, "series_msft_15min.json"), true
	}
	src := newSource(t, srv.URL, clock, ratelimit.Limits{}, 1)
	open, closeT, _ := market.NYSE().Session(session)
	var out sink
	if err := src.Fetch(t.Context(), ingest.NewTask(ingest.Intraday, open, closeT, "MSFT"), out.emit); err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-20 15:45:00", "2026-11-20 09:30:00"}
	if got := out.bars["MSFT"]; !slices.Equal(got, want) {
		t.Errorf("bars %v, want %v (pre-market and 16:00 dropped)", got, want)
	}
	if !strings.Contains(string(out.raws[0].Value), `"mic_code":"XNGS"`) {
		t.Errorf("re-encoded series lost fields the provider sent: %s", out.raws[0].Value)
	}
	if q := fake.Calls()[0].Query; q["interval"] != "15min" || q["start_date"] != "2026-11-20 09:30:00" ||
		q["end_date"] != "2026-11-20 16:00:00" || q["timezone"] != "America/New_York" {
		t.Errorf("query %v", q)
	}
}

func TestClosedDaysMakeNoCalls(t *testing.T) {
	thanksgiving := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	sat := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		task ingest.Task
	}{
		{"daily on a holiday", ingest.NewTask(ingest.Daily, thanksgiving, thanksgiving.AddDate(0, 0, 1), "AAPL")},
		{"daily over a weekend", ingest.NewTask(ingest.Daily, sat, sat.AddDate(0, 0, 2), "AAPL")},
		{"15min overnight", ingest.NewTask(ingest.Intraday, time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC), "AAPL")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := clock.NewManual(start)
			fake, srv := newFake(t, clock)
			src := newSource(t, srv.URL, clock, ratelimit.Limits{}, 1)
			var out sink
			if err := src.Fetch(t.Context(), tc.task, out.emit); err != nil {
				t.Fatal(err)
			}
			if len(fake.Calls()) != 0 || len(out.raws) != 0 {
				t.Errorf("%d calls, %d messages for a window without a session", len(fake.Calls()), len(out.raws))
			}
		})
	}
}

func TestHistoricalPaging(t *testing.T) {
	clock := clock.NewManual(start)
	fake, srv := newFake(t, clock)
	src := newSource(t, srv.URL, clock, ratelimit.Limits{}, 2)
	src.PageBars = 100
	from := time.Date(2024, 11, 20, 0, 0, 0, 0, time.UTC)
	task := ingest.NewTask(ingest.Historical, from, session.AddDate(0, 0, 1), "AAPL", "BRK-B")
	var out sink
	if err := src.Fetch(t.Context(), task, out.emit); err != nil {
		t.Fatal(err)
	}
	days := market.NYSE().TradingDays(from, session)
	for _, sym := range []string{"AAPL", "BRK.B"} {
		got := slices.Clone(out.bars[sym])
		slices.Sort(got)
		if len(got) != len(days) || slices.Compact(got) == nil || len(slices.Compact(got)) != len(days) {
			t.Errorf("%s: %d bars (%d distinct), want %d trading days once each", sym, len(out.bars[sym]), len(slices.Compact(got)), len(days))
		}
	}
	pages := (len(days) + 99) / 100
	if len(fake.Calls()) != pages {
		t.Errorf("%d calls, want %d pages", len(fake.Calls()), pages)
	}
	for _, r := range out.raws {
		if r.Topic != stream.HistoricalData {
			t.Fatalf("historical bars on %s", r.Topic)
		}
	}
	if got := fake.Calls()[0].Symbols; !slices.Equal(got, []string{"AAPL", "BRK.B"}) {
		t.Errorf("requested %v: class suffixes go out canonical", got)
	}
}

func TestDailyExhaustionResumes(t *testing.T) {
	tests := []struct {
		name          string
		ownLimit      int // the pool's idea of the daily limit
		providerLimit int
	}{
		{"limit known", 12, 12},
		{"provider says so first", 800, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := clock.NewManual(start)
			fake, srv := newFake(t, clock)
			fake.PerDay = tc.providerLimit
			src := newSource(t, srv.URL, clock, ratelimit.Limits{PerWindow: 8, PerDay: tc.ownLimit}, 2)
			syms := universe(30)
			var out sink
			err := src.Fetch(t.Context(), dailyTask(syms...), out.emit)
			ie, ok := ingest.AsIncomplete(err)
			if !ok {
				t.Fatalf("Fetch error %v, want IncompleteError", err)
			}
			if len(ie.Failed) != 0 {
				t.Errorf("failed %v; running out of credits fails nothing", ie.Failed)
			}
			if len(ie.Left)+len(out.bars) != 30 {
				t.Fatalf("%d left + %d done, want 30", len(ie.Left), len(out.bars))
			}
			for _, s := range ie.Left {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not name %s: %v", s, err)
				}
				if _, done := out.bars[s]; done {
					t.Errorf("%s both done and left", s)
				}
			}
			if want := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC); !ie.Resume.Equal(want) {
				t.Errorf("resume at %v, want %v", ie.Resume, want)
			}
			// A later run collects only what was left.
			clock.Advance(ie.Resume.Sub(clock.Now()) + time.Minute)
			fake.PerDay = 800
			calls := len(fake.Calls())
			if err := src.Fetch(t.Context(), dailyTask(ie.Left...), out.emit); err != nil {
				t.Fatalf("resume: %v", err)
			}
			asked := 0
			for _, c := range fake.Calls()[calls:] {
				asked += len(c.Symbols)
			}
			if asked != len(ie.Left) {
				t.Errorf("resume asked for %d symbols, want the %d left", asked, len(ie.Left))
			}
			for _, s := range syms {
				if n := len(out.bars[s]); n != 1 {
					t.Errorf("%s: %d bars after resuming, want 1", s, n)
				}
			}
		})
	}
}

func TestRerunEmitsTheSameRecords(t *testing.T) {
	clock := clock.NewManual(start)
	_, srv := newFake(t, clock)
	src := newSource(t, srv.URL, clock, ratelimit.Limits{}, 3)
	task := dailyTask(universe(20)...)
	var first, second sink
	if err := src.Fetch(t.Context(), task, first.emit); err != nil {
		t.Fatal(err)
	}
	if err := src.Fetch(t.Context(), task, second.emit); err != nil {
		t.Fatal(err)
	}
	key := func(s sink) []string {
		var k []string
		for sym, dts := range s.bars {
			for _, d := range dts {
				k = append(k, sym+"|"+d)
			}
		}
		slices.Sort(k)
		return k
	}
	if a, b := key(first), key(second); len(a) != 20 || !slices.Equal(a, b) {
		t.Errorf("re-running the task gave natural keys %v then %v", a, b)
	}
	// Calls finish in any order; each symbol's message is the same.
	bySymbol := func(s sink) map[string]string {
		m := map[string]string{}
		for _, r := range s.raws {
			m[r.Symbol] = string(r.Value)
		}
		return m
	}
	a, b := bySymbol(first), bySymbol(second)
	for sym, v := range a {
		if b[sym] != v {
			t.Errorf("%s: message differs between runs", sym)
		}
	}
}

func TestCancelStopsWaiting(t *testing.T) {
	clock := clock.NewManual(start)
	_, srv := newFake(t, clock)
	src := newSource(t, srv.URL, clock, ratelimit.Limits{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err := src.Fetch(ctx, dailyTask(universe(30)...), func(r ingest.Raw) error {
		if n++; n == 8 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch after cancel: %v", err)
	}
}

func TestOptionsAreNotTwelveData(t *testing.T) {
	src := newSource(t, "http://127.0.0.1:1", clock.NewManual(start), ratelimit.Limits{}, 1)
	if err := src.Fetch(t.Context(), ingest.NewTask(ingest.Options, start, start), nil); err == nil {
		t.Error("an options task was accepted")
	}
}
