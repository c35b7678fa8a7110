// Package tdtest runs a stand-in for Twelve Data's time_series endpoint, in
// the provider's recorded response shapes, for tests of anything that
// collects bars: it generates bars for any symbol from the NYSE calendar,
// counts credits per key on the test's clock and answers 429 as the
// provider does when a key goes over its limits.
package tdtest

import (
	"embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
)

//go:embed testdata
var recorded embed.FS

func file(name string) []byte {
	b, err := recorded.ReadFile("testdata/" + name)
	if err != nil {
		return fmt.Appendf(nil, `{"code":500,"message":%q,"status":"error"}`, "tdtest: "+err.Error())
	}
	return b
}

// Server is an http.Handler serving /time_series.
type Server struct {
	// Now is the clock credits are counted on.
	Now func() time.Time
	// PerMinute and PerDay are each key's credit limits (0: none).
	PerMinute, PerDay int
	// Script, when set, may answer call n itself.
	Script func(n int, key string, symbols []string) (status int, body []byte, ok bool)

	mu        sync.Mutex
	calls     []Call
	throttled int
}

// Call is one request the server saw.
type Call struct {
	At      time.Time
	Key     string
	Symbols []string
	Query   map[string]string
	Charged bool // counted against the key's credits
}

// New returns a server with the free plan's limits: 8 credits a minute, 800 a day.
func New(now func() time.Time) *Server { return &Server{Now: now, PerMinute: 8, PerDay: 800} }

// Calls returns the requests seen so far.
func (f *Server) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Throttled is how many requests were answered 429 for going over a limit.
func (f *Server) Throttled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.throttled
}

// ServeHTTP implements http.Handler.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/time_series" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "apikey ")
	syms := strings.Split(q.Get("symbol"), ",")
	now := f.Now()
	f.mu.Lock()
	n := len(f.calls)
	c := Call{At: now, Key: key, Symbols: syms, Query: map[string]string{}}
	for k := range q {
		c.Query[k] = q.Get(k)
	}
	status, body, scripted := 0, []byte(nil), false
	if f.Script != nil {
		status, body, scripted = f.Script(n, key, syms)
	}
	if !scripted {
		minute, day := f.spent(key, now)
		switch {
		case f.PerDay > 0 && day+len(syms) > f.PerDay:
			status, body, scripted = http.StatusOK, file("error_429_day.json"), true
			f.throttled++
		case f.PerMinute > 0 && minute+len(syms) > f.PerMinute:
			status, body, scripted = http.StatusOK, file("error_429_minute.json"), true
			f.throttled++
		default:
			c.Charged = true
			w.Header().Set("api-credits-used", fmt.Sprint(minute+len(syms)))
			if f.PerMinute > 0 {
				w.Header().Set("api-credits-left", fmt.Sprint(f.PerMinute-minute-len(syms)))
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
		out[s] = Series(s, q.Get("interval"), q.Get("start_date"), q.Get("end_date"))
	}
	if len(syms) == 1 {
		_, _ = w.Write(out[syms[0]])
		return
	}
	b, _ := json.Marshal(out)
	_, _ = w.Write(b)
}

// spent is the credits key was charged in the minute and the UTC day up to now.
func (f *Server) spent(key string, now time.Time) (minute, day int) {
	y, m, d := now.UTC().Date()
	for _, p := range f.calls {
		if p.Key != key || !p.Charged {
			continue
		}
		if now.Sub(p.At) < time.Minute {
			minute += len(p.Symbols)
		}
		if py, pm, pd := p.At.UTC().Date(); py == y && pm == m && pd == d {
			day += len(p.Symbols)
		}
	}
	return minute, day
}

// Series generates a symbol's bars from start to end, both inclusive as
// the provider treats them, newest first, with the recorded meta; a window
// without sessions gets the provider's "No data" error.
func Series(sym, interval, start, end string) json.RawMessage {
	var ts wire.TimeSeries
	_ = json.Unmarshal(file("series_aapl_1day.json"), &ts)
	ts.Meta.Symbol, ts.Meta.Interval, ts.Values = sym, interval, nil
	cal := market.NYSE()
	h := fnv.New32a()
	h.Write([]byte(sym))
	base := 20 + float64(h.Sum32()%500)
	bar := func(dt string, i int) wire.TSValue {
		p := base + float64(i%17)
		return wire.TSValue{Datetime: dt, Open: wire.FormatPrice(p), High: wire.FormatPrice(p + 1),
			Low: wire.FormatPrice(p - 1), Close: wire.FormatPrice(p + 0.5), Volume: fmt.Sprint(1000 + i)}
	}
	if interval == wire.Interval1Day {
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
		return file("no_data.json")
	}
	b, _ := json.Marshal(ts)
	return b
}

// MostPerKey is the most credits and calls any one key was charged in a
// window of length w, by key.
func (f *Server) MostPerKey(w time.Duration) (credits, calls map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	credits, calls = map[string]int{}, map[string]int{}
	for _, a := range f.calls {
		cr, n := 0, 0
		for _, b := range f.calls {
			if b.Key == a.Key && !b.At.Before(a.At) && b.At.Sub(a.At) < w {
				cr += len(b.Symbols)
				n++
			}
		}
		credits[a.Key] = max(credits[a.Key], cr)
		calls[a.Key] = max(calls[a.Key], n)
	}
	return credits, calls
}
