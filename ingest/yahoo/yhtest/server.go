// Package yhtest runs a stand-in for Yahoo Finance's cookie, crumb, v7
// options and v8 chart endpoints, in Yahoo's recorded response shapes, for
// tests of anything that snapshots option chains or collects dividends and
// splits: any symbol gets the recorded chain, moved to that symbol and to the
// expiration asked for, and the recorded AAPL chart events.
package yhtest

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed testdata
var recorded embed.FS

func file(name string) []byte {
	b, err := recorded.ReadFile("testdata/" + name)
	if err != nil {
		return fmt.Appendf(nil, `{"finance":{"result":null,"error":{"code":"Internal","description":%q}}}`, err.Error())
	}
	return b
}

// Server is an http.Handler serving /cookie, /v1/test/getcrumb,
// /v7/finance/options/{SYM} and /v8/finance/chart/{SYM}. Options and chart
// calls must carry the cookie and the latest crumb, or get 401 Invalid
// Crumb; the symbol ZZZZ is unknown.
type Server struct {
	// Now stamps the calls.
	Now func() time.Time
	// Script, when set, may answer options call n itself.
	Script func(n int, sym string) (status int, body []byte, ok bool)
	// CrumbScript, when set, may answer crumb call n itself.
	CrumbScript func(n int) (status int, body []byte, ok bool)
	// ChartScript, when set, may answer chart call n itself.
	ChartScript func(n int, sym string) (status int, body []byte, ok bool)

	mu      sync.Mutex
	crumbs  []string
	options []Call
	charts  []Call
}

// Charts returns the chart requests seen so far (Date is period1).
func (f *Server) Charts() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.charts...)
}

// Call is one options request the server saw.
type Call struct {
	At   time.Time
	Sym  string
	Date string
}

// New returns a server stamping calls with now.
func New(now func() time.Time) *Server { return &Server{Now: now} }

// Calls returns the options requests seen so far.
func (f *Server) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.options...)
}

// Crumbs is how many crumbs were handed out.
func (f *Server) Crumbs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.crumbs)
}

// ServeHTTP implements http.Handler.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/cookie":
		http.SetCookie(w, &http.Cookie{Name: "A3", Value: "session", Path: "/"})
		http.NotFound(w, r)
	case r.URL.Path == "/v1/test/getcrumb":
		n := len(f.crumbs)
		f.crumbs = append(f.crumbs, fmt.Sprintf("crumb%d", n))
		if f.CrumbScript != nil {
			if status, body, ok := f.CrumbScript(n); ok {
				f.crumbs[n] = ""
				w.WriteHeader(status)
				_, _ = w.Write(body)
				return
			}
		}
		if _, err := r.Cookie("A3"); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(f.crumbs[n]))
	case strings.HasPrefix(r.URL.Path, "/v8/finance/chart/"):
		sym := strings.TrimPrefix(r.URL.Path, "/v8/finance/chart/")
		n := len(f.charts)
		f.charts = append(f.charts, Call{At: f.Now(), Sym: sym, Date: r.URL.Query().Get("period1")})
		if !f.crumbOK(w, r) {
			return
		}
		if f.ChartScript != nil {
			if status, body, ok := f.ChartScript(n, sym); ok {
				w.WriteHeader(status)
				_, _ = w.Write(body)
				return
			}
		}
		if sym == "ZZZZ" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write(file("chart_not_found.json"))
			return
		}
		_, _ = w.Write(ChartEvents(sym))
	case strings.HasPrefix(r.URL.Path, "/v7/finance/options/"):
		sym := strings.TrimPrefix(r.URL.Path, "/v7/finance/options/")
		n := len(f.options)
		f.options = append(f.options, Call{At: f.Now(), Sym: sym, Date: r.URL.Query().Get("date")})
		if !f.crumbOK(w, r) {
			return
		}
		if f.Script != nil {
			if status, body, ok := f.Script(n, sym); ok {
				w.WriteHeader(status)
				_, _ = w.Write(body)
				return
			}
		}
		if sym == "ZZZZ" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write(file("not_found.json"))
			return
		}
		_, _ = w.Write(Chain(sym, r.URL.Query().Get("date")))
	default:
		http.NotFound(w, r)
	}
}

// crumbOK answers 401 Invalid Crumb to a call without the cookie or the
// latest crumb.
func (f *Server) crumbOK(w http.ResponseWriter, r *http.Request) bool {
	_, cookieErr := r.Cookie("A3")
	if cookieErr != nil || len(f.crumbs) == 0 || r.URL.Query().Get("crumb") != f.crumbs[len(f.crumbs)-1] {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(file("invalid_crumb.json"))
		return false
	}
	return true
}

// ChartEvents is the recorded AAPL chart answer with its dividends (0.24 on
// 2024-02-09, then 0.25 a quarter through 2025-02-10) and splits (7:1 on
// 2014-06-09, 4:1 on 2020-08-31), moved to sym. Its other recorded answers
// are chart_not_found.json, chart_bad_events.json (a negative dividend, one
// without an amount, splits 0:1 and 7:-1), chart_malformed.json (cut
// short) and chart_empty.json (no result); File reads them.
func ChartEvents(sym string) []byte {
	return []byte(strings.Replace(string(file("aapl_chart_events.json")), `"symbol":"AAPL"`, `"symbol":`+strconv.Quote(sym), 1))
}

// File returns one recorded answer of testdata.
func File(name string) []byte { return file(name) }

// Expirations are the recorded chain's expiration dates (unix seconds):
// 2026-11-20, 2026-11-27, 2026-12-18, 2027-01-15 and 2027-03-19.
var Expirations = []int64{1795132800, 1795737600, 1797552000, 1799971200, 1805414400}

// Chain is the recorded AAPL chain, moved to sym and, when date is set, to
// that expiration (contract symbols follow).
func Chain(sym, date string) []byte {
	var doc map[string]any
	if err := json.Unmarshal(file("aapl_options.json"), &doc); err != nil {
		return file("missing.json")
	}
	res := doc["optionChain"].(map[string]any)["result"].([]any)[0].(map[string]any)
	res["underlyingSymbol"] = sym
	res["quote"].(map[string]any)["symbol"] = sym
	root := strings.ReplaceAll(sym, "-", "")
	exp := Expirations[0]
	if date != "" {
		exp, _ = strconv.ParseInt(date, 10, 64)
	}
	series := res["options"].([]any)[0].(map[string]any)
	series["expirationDate"] = exp
	for _, side := range []string{"calls", "puts"} {
		for _, c := range series[side].([]any) {
			c := c.(map[string]any)
			c["expiration"] = exp
			c["contractSymbol"] = strings.Replace(c["contractSymbol"].(string), "AAPL261120",
				root+time.Unix(exp, 0).UTC().Format("060102"), 1)
		}
	}
	b, _ := json.Marshal(doc)
	return b
}
