package twelvedata

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/market"
)

// fakeTwelveData stands in for the provider: it serves time_series in the
// recorded shapes of testdata/, counts credits per key on the test's clock
// and answers 429 as the provider does when a key goes over its limits.
type fakeTwelveData struct {
	t         testing.TB
	clock     *ratelimit.Manual
	perMinute int // 0: no limit
	perDay    int // 0: no limit
	// script, when set, may answer call n itself.
	script func(n int, key string, symbols []string) (status int, body []byte, ok bool)

	mu        sync.Mutex
	calls     []fakeCall
	throttled int
}

type fakeCall struct {
	at      time.Time
	key     string
	symbols []string
	query   map[string]string
	charged bool
}

func newFake(t testing.TB, clock *ratelimit.Manual) (*fakeTwelveData, *httptest.Server) {
	f := &fakeTwelveData{t: t, clock: clock, perMinute: 8, perDay: 800}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func testdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fakeTwelveData) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/time_series" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "apikey ")
	syms := strings.Split(q.Get("symbol"), ",")
	now := f.clock.Now()
	f.mu.Lock()
	n := len(f.calls)
	c := fakeCall{at: now, key: key, symbols: syms, query: map[string]string{}}
	for k := range q {
		c.query[k] = q.Get(k)
	}
	status, body, scripted := 0, []byte(nil), false
	if f.script != nil {
		status, body, scripted = f.script(n, key, syms)
	}
	if !scripted {
		minute, day := 0, 0
		for _, p := range f.calls {
			if p.key == key && p.charged {
				if now.Sub(p.at) < time.Minute {
					minute += len(p.symbols)
				}
				if p.at.UTC().YearDay() == now.UTC().YearDay() {
					day += len(p.symbols)
				}
			}
		}
		switch {
		case f.perDay > 0 && day+len(syms) > f.perDay:
			status, body, scripted = 200, testdata(f.t, "error_429_day.json"), true
			f.throttled++
		case f.perMinute > 0 && minute+len(syms) > f.perMinute:
			status, body, scripted = 200, testdata(f.t, "error_429_minute.json"), true
			f.throttled++
		default:
			c.charged = true
			w.Header().Set("api-credits-used", fmt.Sprint(minute+len(syms)))
			if f.perMinute > 0 {
				w.Header().Set("api-credits-left", fmt.Sprint(f.perMinute-minute-len(syms)))
			}
		}
	}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if scripted {
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	out := map[string]json.RawMessage{}
	for _, s := range syms {
		out[s] = f.series(s, q.Get("interval"), q.Get("start_date"), q.Get("end_date"))
	}
	if len(syms) == 1 {
		_, _ = w.Write(out[syms[0]])
		return
	}
	b, _ := json.Marshal(out)
	_, _ = w.Write(b)
}

// series generates a symbol's bars from start to end, both inclusive as
// the provider treats them, newest first, with the recorded meta.
func (f *fakeTwelveData) series(sym, interval, start, end string) json.RawMessage {
	var ts ingest.TimeSeries
	if err := json.Unmarshal(testdata(f.t, "series_aapl_1day.json"), &ts); err != nil {
		f.t.Error(err)
	}
	ts.Meta.Symbol, ts.Meta.Interval, ts.Values = sym, interval, nil
	cal := market.NYSE()
	h := fnv.New32a()
	h.Write([]byte(sym))
	base := 20 + float64(h.Sum32()%500)
	bar := func(dt string, i int) ingest.TSValue {
		p := base + float64(i%17)
		return ingest.TSValue{Datetime: dt, Open: ingest.FormatPrice(p), High: ingest.FormatPrice(p + 1),
			Low: ingest.FormatPrice(p - 1), Close: ingest.FormatPrice(p + 0.5), Volume: fmt.Sprint(1000 + i)}
	}
	if interval == ingest.Interval1Day {
		from, _ := time.Parse("2006-01-02", start)
		to, _ := time.Parse("2006-01-02", end)
		for i, d := range cal.TradingDays(from, to) {
			ts.Values = append(ts.Values, bar(d.Format("2006-01-02"), i))
		}
	} else {
		from, _ := time.ParseInLocation("2006-01-02 15:04:05", start, market.NewYork)
		to, _ := time.ParseInLocation("2006-01-02 15:04:05", end, market.NewYork)
		i := 0
		for _, d := range cal.TradingDays(market.DateOf(from), market.DateOf(to)) {
			for _, b := range cal.Bars15(d) {
				if !b.Before(from) && !b.After(to) {
					ts.Values = append(ts.Values, bar(b.In(market.NewYork).Format("2006-01-02 15:04:05"), i))
					i++
				}
			}
		}
	}
	for i, j := 0, len(ts.Values)-1; i < j; i, j = i+1, j-1 {
		ts.Values[i], ts.Values[j] = ts.Values[j], ts.Values[i]
	}
	if len(ts.Values) == 0 {
		return testdata(f.t, "no_data.json")
	}
	b, _ := json.Marshal(ts)
	return b
}

// chargedWithin is the most credits one key was charged in any window w.
func (f *fakeTwelveData) chargedWithin(w time.Duration) (credits, calls map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	credits, calls = map[string]int{}, map[string]int{}
	for _, a := range f.calls {
		cr, n := 0, 0
		for _, b := range f.calls {
			if b.key == a.key && !b.at.Before(a.at) && b.at.Sub(a.at) < w {
				cr += len(b.symbols)
				n++
			}
		}
		credits[a.key] = max(credits[a.key], cr)
		calls[a.key] = max(calls[a.key], n)
	}
	return credits, calls
}

// sink collects what a source emits, as the collector would publish it.
type sink struct {
	raws []ingest.Raw
	bars map[string][]string // symbol -> datetimes, in emitted order
}

func (s *sink) emit(r ingest.Raw) error {
	if s.bars == nil {
		s.bars = map[string][]string{}
	}
	ts, err := ingest.DecodeTimeSeries(r.Value)
	if err != nil {
		return fmt.Errorf("emitted message does not decode: %w", err)
	}
	if market.CanonicalSymbol(ts.Meta.Symbol) != r.Symbol {
		return fmt.Errorf("message keyed %s carries %s", r.Symbol, ts.Meta.Symbol)
	}
	s.raws = append(s.raws, r)
	for _, v := range ts.Values {
		s.bars[r.Symbol] = append(s.bars[r.Symbol], v.Datetime)
	}
	return nil
}
