package serve

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// apiCase is one request and what the answer must be.
type apiCase struct {
	name    string
	method  string
	path    string
	body    any
	headers []string
	status  int
	check   func(t *testing.T, body map[string]any)
}

// fixtures are values read from the test lake that routes take as input.
type fixtures struct {
	expiration string // an expiration of AAPL's newest snapshot
	contract   string // a contract of that expiration
	snapshots  []time.Time
	// smiled is the nearest expiration of AAPL's newest snapshot whose
	// stored smile has a 25-delta skew (the same-day one has none).
	smiled string
}

func lakeFixtures(t *testing.T, eng *query.Engine) fixtures {
	t.Helper()
	res, err := eng.Query(context.Background(), `SELECT strftime(expiration, '%Y-%m-%d'), contract_symbol FROM option_quotes
		WHERE symbol = 'AAPL' AND snapshot_ts = (SELECT max(snapshot_ts) FROM option_quotes WHERE symbol = 'AAPL')
		ORDER BY expiration, abs(strike - underlying_price) LIMIT 1`, 0)
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("fixtures: %v %v", err, res)
	}
	f := fixtures{expiration: res.Rows[0][0].(string), contract: res.Rows[0][1].(string)}
	res, err = eng.Query(context.Background(), `SELECT strftime(expiration, '%Y-%m-%d') FROM iv_smile
		WHERE symbol = 'AAPL' AND skew_25d IS NOT NULL AND snapshot_ts = (SELECT max(snapshot_ts) FROM iv_smile WHERE symbol = 'AAPL')
		ORDER BY expiration LIMIT 1`, 0)
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("fixtures: no stored AAPL smile with a skew: %v %v", err, res)
	}
	f.smiled = res.Rows[0][0].(string)
	res, err = eng.Query(context.Background(), `SELECT DISTINCT snapshot_ts FROM option_quotes WHERE symbol = 'AAPL' ORDER BY 1`, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Rows {
		f.snapshots = append(f.snapshots, r[0].(time.Time).UTC())
	}
	if len(f.snapshots) != 2 {
		t.Fatalf("want 2 AAPL snapshots in the test lake, got %v", f.snapshots)
	}
	return f
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if strings.Contains(w.Header().Get("Content-Type"), "json") && w.Body.Len() > 0 && w.Body.Bytes()[0] == '{' {
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("decode %s: %v", w.Body.String(), err)
		}
	}
	return m
}

func list(t *testing.T, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("want a list, got %T %v", v, v)
	}
	return l
}

func num(t *testing.T, v any) float64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("want a number, got %T %v", v, v)
	}
	return f
}

func adminKey() string { return "X-API-Key: test-admin-key" }

// routeCases covers every route with good and bad input.
func routeCases(t *testing.T, f fixtures) []apiCase {
	snapOld := f.snapshots[0].Format(time.RFC3339)
	return []apiCase{
		{name: "healthz", method: "GET", path: "/healthz", status: 200, check: func(t *testing.T, b map[string]any) {
			if b["status"] != "ok" {
				t.Errorf("status %v", b["status"])
			}
		}},
		{name: "readyz", method: "GET", path: "/readyz", status: 200, check: func(t *testing.T, b map[string]any) {
			if b["status"] != "ready" || len(list(t, b["checks"])) != 2 {
				t.Errorf("readyz %v", b)
			}
		}},
		// Legacy routes.
		{name: "legacy stock-data", method: "GET", path: "/api/stock-data/?symbol=aapl&from=2026-11-01&to=2026-11-20", status: 200, check: func(t *testing.T, b map[string]any) {
			data := list(t, b["data"])
			if b["symbol"] != "AAPL" || len(data) != 15 || num(t, b["total"]) != 15 {
				t.Errorf("want 15 sessions of AAPL in 2026-11-01..20, got %d (total %v)", len(data), b["total"])
			}
			first := data[0].(map[string]any)
			if first["StockName"] != "AAPL" || first["Date"] != "2026-11-02" {
				t.Errorf("first row %v", first)
			}
		}},
		{name: "legacy stock-data 15min", method: "GET", path: "/api/stock-data/?symbol=MSFT&interval=15min&from=2026-11-20&to=2026-11-20", status: 200, check: func(t *testing.T, b map[string]any) {
			if n := len(list(t, b["data"])); n != 26 {
				t.Errorf("want 26 15-minute bars in a full session, got %d", n)
			}
		}},
		{name: "legacy stock-data unknown symbol", method: "GET", path: "/api/stock-data/?symbol=NOPE", status: 404},
		{name: "legacy stock-data inverted range", method: "GET", path: "/api/stock-data/?symbol=AAPL&from=2026-11-20&to=2026-11-01", status: 422},
		{name: "legacy stock-data page_size 0", method: "GET", path: "/api/stock-data/?symbol=AAPL&page_size=0", status: 422},
		{name: "legacy stock-data page_size 1e6", method: "GET", path: "/api/stock-data/?symbol=AAPL&page_size=1000000", status: 422},
		// Without a symbol, the original listed every row: every stock's, a page at a time.
		{name: "legacy stock-data every stock", method: "GET", path: "/api/stock-data/?from=2026-11-19&to=2026-11-20&page_size=5&page=2", status: 200, check: func(t *testing.T, b map[string]any) {
			data := list(t, b["data"])
			if b["symbol"] != "" || len(data) != 5 || num(t, b["total"]) != float64(2*len(testSymbols)) {
				t.Fatalf("want 5 of %d bars of every stock, got %d (total %v, symbol %v)", 2*len(testSymbols), len(data), b["total"], b["symbol"])
			}
			// Sorted by date, then symbol: page 2 holds the last 3 of Nov 19 and the first 2 of Nov 20.
			var got []string
			for _, r := range data {
				r := r.(map[string]any)
				got = append(got, r["Date"].(string)+" "+r["StockName"].(string))
			}
			if want := "2026-11-19 MSFT,2026-11-19 NVDA,2026-11-19 XOM,2026-11-20 AAPL,2026-11-20 AMZN"; strings.Join(got, ",") != want {
				t.Errorf("rows %v, want %s", got, want)
			}
		}},
		{name: "legacy options-data every stock", method: "GET", path: "/api/options-data/?type=put&page_size=7&page=1", status: 200, check: func(t *testing.T, b map[string]any) {
			puts := list(t, b["puts"])
			if len(puts) != 7 || len(list(t, b["calls"])) != 0 || num(t, b["total"]) <= 7 || num(t, b["page_size"]) != 7 {
				t.Fatalf("want 7 of more puts, got %d (total %v)", len(puts), b["total"])
			}
			first := puts[0].(map[string]any)
			if first["StockName"] != "AAPL" || first["snapshotTime"] != f.snapshots[1].Format(time.RFC3339) {
				t.Errorf("first put %v, want AAPL's from the newest snapshot %s", first, f.snapshots[1].Format(time.RFC3339))
			}
		}},
		{name: "legacy options-data every stock past the end", method: "GET", path: "/api/options-data/?page=100000", status: 200, check: func(t *testing.T, b map[string]any) {
			if len(list(t, b["calls"]))+len(list(t, b["puts"])) != 0 || num(t, b["total"]) == 0 {
				t.Errorf("past the last page: %v", b)
			}
		}},
		{name: "legacy options-data", method: "GET", path: "/api/options-data/?symbol=AAPL&type=call&expiration=" + f.expiration, status: 200, check: func(t *testing.T, b map[string]any) {
			if len(list(t, b["calls"])) == 0 || len(list(t, b["puts"])) != 0 {
				t.Errorf("want only calls, got %d calls %d puts", len(list(t, b["calls"])), len(list(t, b["puts"])))
			}
			if e := list(t, b["expirations"]); len(e) != 1 || e[0] != f.expiration {
				t.Errorf("expirations %v", e)
			}
		}},
		{name: "legacy options-data malformed expiration", method: "GET", path: "/api/options-data/?symbol=AAPL&expiration=12/18/2026", status: 422},
		{name: "legacy options-data strikes inverted", method: "GET", path: "/api/options-data/?symbol=AAPL&min_strike=300&max_strike=100", status: 422},
		{name: "legacy options-data no snapshots", method: "GET", path: "/api/options-data/?symbol=JPM", status: 404},
		{name: "legacy search", method: "GET", path: "/api/search/micro%20soft", status: 200},
		{name: "legacy stock-names", method: "GET", path: "/api/stock-names/goog", status: 200},
		{name: "legacy realtime", method: "GET", path: "/api/realtime/NVDA", status: 200, check: func(t *testing.T, b map[string]any) {
			if n := len(list(t, b["bars"])); n != 26 || b["last"] == nil {
				t.Errorf("want the 26 bars of the newest session and a last bar, got %d", n)
			}
		}},
		{name: "legacy realtime unknown", method: "GET", path: "/api/realtime/ZZZZZZ", status: 404},
		// Universe and search.
		{name: "universe", method: "GET", path: "/api/v1/universe", status: 200, check: func(t *testing.T, b map[string]any) {
			if n := num(t, b["count"]); n < 120 {
				t.Errorf("universe has %v companies, want 120+", n)
			}
		}},
		{name: "universe by sector", method: "GET", path: "/api/v1/universe?sector=financials", status: 200, check: func(t *testing.T, b map[string]any) {
			for _, c := range list(t, b["companies"]) {
				if c.(map[string]any)["sector"] != "Financials" {
					t.Errorf("sector filter let %v through", c)
				}
			}
		}},
		{name: "company any spelling", method: "GET", path: "/api/v1/universe/brk-b", status: 200, check: func(t *testing.T, b map[string]any) {
			if b["symbol"] != "BRK.B" {
				t.Errorf("symbol %v", b["symbol"])
			}
		}},
		{name: "company unknown", method: "GET", path: "/api/v1/universe/NOPE", status: 404},
		{name: "search", method: "GET", path: "/api/v1/search?q=APPL", status: 200},
		{name: "search empty", method: "GET", path: "/api/v1/search?q=", status: 422},
		{name: "search limit too big", method: "GET", path: "/api/v1/search?q=a&limit=1000", status: 422},
		// Bars.
		{name: "bars", method: "GET", path: "/api/v1/bars/AAPL?from=2026-08-20&to=2026-11-20&page_size=10&page=2", status: 200, check: func(t *testing.T, b map[string]any) {
			bars := list(t, b["bars"])
			total := num(t, b["total"])
			if len(bars) != 10 || total < 60 || num(t, b["next_page"]) != 3 || num(t, b["pages"]) != float64(int((total+9)/10)) {
				t.Errorf("page 2 of 10: %d bars, total %v, next %v, pages %v", len(bars), total, b["next_page"], b["pages"])
			}
		}},
		{name: "bars last page", method: "GET", path: "/api/v1/bars/AAPL?from=2026-11-01&to=2026-11-20&page_size=10&page=2", status: 200, check: func(t *testing.T, b map[string]any) {
			if len(list(t, b["bars"])) != 5 || b["next_page"] != nil {
				t.Errorf("last page: %v", b)
			}
		}},
		{name: "bars 15min", method: "GET", path: "/api/v1/bars/GOOGL?interval=15min&from=2026-11-20&to=2026-11-20", status: 200, check: func(t *testing.T, b map[string]any) {
			bars := list(t, b["bars"])
			if len(bars) != 26 || bars[0].(map[string]any)["t"] != "2026-11-20T14:30:00Z" {
				t.Errorf("15min bars: %d, first %v", len(bars), bars[0])
			}
		}},
		{name: "bars unknown symbol", method: "GET", path: "/api/v1/bars/NOPE", status: 404},
		{name: "bars inverted range", method: "GET", path: "/api/v1/bars/AAPL?from=2026-11-20&to=2026-10-01", status: 422},
		{name: "bars page_size 0", method: "GET", path: "/api/v1/bars/AAPL?page_size=0", status: 422},
		{name: "bars page_size 1e6", method: "GET", path: "/api/v1/bars/AAPL?page_size=1000000", status: 422},
		{name: "bars bad interval", method: "GET", path: "/api/v1/bars/AAPL?interval=1h", status: 422},
		{name: "bars malformed date", method: "GET", path: "/api/v1/bars/AAPL?from=yesterday", status: 422},
		{name: "bars range too long", method: "GET", path: "/api/v1/bars/AAPL?interval=15min&from=2020-01-01&to=2026-11-20", status: 422},
		{name: "download csv", method: "GET", path: "/api/v1/bars/AAPL/download?from=2026-11-01&to=2026-11-20", status: 200},
		{name: "download parquet", method: "GET", path: "/api/v1/bars/AAPL/download?from=2026-11-01&to=2026-11-20&format=parquet", status: 200},
		{name: "download bad format", method: "GET", path: "/api/v1/bars/AAPL/download?format=xlsx", status: 422},
		{name: "download unknown symbol", method: "GET", path: "/api/v1/bars/NOPE/download", status: 404},
		{name: "quote", method: "GET", path: "/api/v1/quotes/MSFT", status: 200, check: func(t *testing.T, b map[string]any) {
			if b["source"] != "15min" || b["session"] != "2026-11-20" || b["previous_close"] == nil || b["as_of"] != "2026-11-20T21:00:00Z" {
				t.Errorf("quote %v", b)
			}
			if num(t, b["low"]) > num(t, b["price"]) || num(t, b["high"]) < num(t, b["price"]) {
				t.Errorf("price outside the session's range: %v", b)
			}
		}},
		{name: "quote unknown", method: "GET", path: "/api/v1/quotes/NOPE", status: 404},
		{name: "movers 1d", method: "GET", path: "/api/v1/movers?period=1d&limit=3", status: 200, check: func(t *testing.T, b map[string]any) {
			g, l := list(t, b["gainers"]), list(t, b["losers"])
			if len(g) != 3 || len(l) != 3 || b["as_of"] != "2026-11-20" {
				t.Fatalf("movers %v", b)
			}
			if num(t, g[0].(map[string]any)["change_percent"]) < num(t, l[0].(map[string]any)["change_percent"]) {
				t.Errorf("the top gainer did worse than the top loser")
			}
		}},
		{name: "movers 1m", method: "GET", path: "/api/v1/movers?period=1m", status: 200, check: func(t *testing.T, b map[string]any) {
			if n := len(list(t, b["most_active"])); n != len(testSymbols) {
				t.Errorf("want every test symbol ranked over a month, got %d", n)
			}
		}},
		{name: "movers bad period", method: "GET", path: "/api/v1/movers?period=2y", status: 422},
		// Options.
		{name: "expirations", method: "GET", path: "/api/v1/options/AAPL/expirations", status: 200, check: func(t *testing.T, b map[string]any) {
			if len(list(t, b["expirations"])) < 4 || b["snapshot_ts"] != f.snapshots[1].Format(time.RFC3339) {
				t.Errorf("expirations %v", b)
			}
		}},
		{name: "expirations point in time", method: "GET", path: "/api/v1/options/AAPL/expirations?snapshot=" + snapOld, status: 200, check: func(t *testing.T, b map[string]any) {
			if b["snapshot_ts"] != snapOld {
				t.Errorf("snapshot %v, want %s", b["snapshot_ts"], snapOld)
			}
		}},
		{name: "expirations before any snapshot", method: "GET", path: "/api/v1/options/AAPL/expirations?snapshot=2020-01-01T00:00:00Z", status: 404},
		{name: "expirations malformed snapshot", method: "GET", path: "/api/v1/options/AAPL/expirations?snapshot=noon", status: 422},
		{name: "chain", method: "GET", path: "/api/v1/options/AAPL/chain?expiration=" + f.expiration, status: 200, check: func(t *testing.T, b map[string]any) {
			calls := list(t, b["calls"])
			if len(calls) == 0 || len(list(t, b["puts"])) == 0 || b["underlying_price"] == nil {
				t.Fatalf("chain %v", b)
			}
			withIV := 0
			for _, c := range calls {
				if c.(map[string]any)["iv"] != nil && c.(map[string]any)["delta"] != nil {
					withIV++
				}
			}
			if withIV == 0 {
				t.Errorf("no call carries its own IV and delta")
			}
		}},
		{name: "chain malformed expiration", method: "GET", path: "/api/v1/options/AAPL/chain?expiration=2026-13-45", status: 422},
		{name: "chain unknown expiration", method: "GET", path: "/api/v1/options/AAPL/chain?expiration=2030-01-18", status: 404},
		{name: "chain unknown symbol", method: "GET", path: "/api/v1/options/NOPE/chain", status: 404},
		{name: "chain negative strike", method: "GET", path: "/api/v1/options/AAPL/chain?min_strike=-5", status: 422},
		{name: "smile", method: "GET", path: "/api/v1/options/AAPL/smile?expiration=" + f.smiled, status: 200, check: func(t *testing.T, b map[string]any) {
			pts := list(t, b["points"])
			if len(pts) < 5 || b["atm_iv"] == nil || b["expiration"] != f.smiled {
				t.Errorf("smile: %d points, atm %v", len(pts), b["atm_iv"])
			}
			if b["forward"] == nil || b["skew_25d"] == nil {
				t.Errorf("smile lacks the iv_smile dataset's forward and skew: %v", b)
			}
		}},
		{name: "smile missing expiration", method: "GET", path: "/api/v1/options/AAPL/smile", status: 422},
		{name: "smile malformed expiration", method: "GET", path: "/api/v1/options/AAPL/smile?expiration=soon", status: 422},
		{name: "surface", method: "GET", path: "/api/v1/options/MSFT/surface", status: 200, check: func(t *testing.T, b map[string]any) {
			if n := len(list(t, b["smiles"])); n < 4 {
				t.Errorf("surface has %d expirations", n)
			}
		}},
		{name: "surface no snapshots", method: "GET", path: "/api/v1/options/XOM/surface", status: 404},
		{name: "contract", method: "GET", path: "/api/v1/contracts/" + f.contract, status: 200, check: func(t *testing.T, b map[string]any) {
			h := list(t, b["history"])
			if len(h) != 2 || b["symbol"] != "AAPL" || b["expiration"] != f.expiration {
				t.Errorf("contract history: %d snapshots, %v", len(h), b)
			}
		}},
		{name: "contract malformed", method: "GET", path: "/api/v1/contracts/AAPL-CALL", status: 422},
		{name: "contract unknown", method: "GET", path: "/api/v1/contracts/AAPL300118C00100000", status: 404},
		{name: "contract inverted range", method: "GET", path: "/api/v1/contracts/" + f.contract + "?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z", status: 422},
		// Freshness.
		{name: "freshness", method: "GET", path: "/api/v1/freshness", status: 200, check: func(t *testing.T, b map[string]any) {
			seen := map[string]bool{}
			for _, d := range list(t, b["datasets"]) {
				d := d.(map[string]any)
				seen[d["dataset"].(string)] = true
				if d["last_event"] == nil || num(t, d["lag_seconds"]) < 0 || num(t, d["commits"]) == 0 {
					t.Errorf("freshness %v", d)
				}
			}
			for _, ds := range market.Datasets() {
				if !seen[ds.Name] {
					t.Errorf("freshness lacks %s", ds.Name)
				}
			}
		}},
		// SQL.
		{name: "sql", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "SELECT symbol, count(*) AS n FROM daily_bars GROUP BY symbol ORDER BY symbol", "limit": 3},
			status: 200, check: func(t *testing.T, b map[string]any) {
				rows := list(t, b["rows"])
				if len(rows) != 3 || b["truncated"] != true || list(t, rows[0])[0] != "AAPL" {
					t.Errorf("sql %v", b)
				}
				cols := list(t, b["columns"])
				if cols[1].(map[string]any)["name"] != "n" {
					t.Errorf("columns %v", cols)
				}
			}},
		{name: "sql writes", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "DELETE FROM daily_bars"}, status: 403},
		{name: "sql creates", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "SELECT 1; CREATE TABLE x AS SELECT 1"}, status: 403},
		{name: "sql copies out", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "COPY daily_bars TO '/tmp/x.csv'"}, status: 403},
		{name: "sql reads files", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "SELECT * FROM read_csv('/etc/passwd')"}, status: 403},
		{name: "sql syntax error", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "SELECT FROM WHERE"}, status: 400},
		{name: "sql unknown column", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "SELECT nope FROM daily_bars"}, status: 400},
		{name: "sql limit above cap", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "SELECT 1", "limit": 50000}, status: 422},
		{name: "sql limit negative", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": "SELECT 1", "limit": -1}, status: 422},
		{name: "sql empty", method: "POST", path: "/api/v1/sql", body: map[string]any{"sql": ""}, status: 422},
		{name: "sql not json", method: "POST", path: "/api/v1/sql", body: strings.NewReader("sql=SELECT 1"), headers: []string{"Content-Type: application/json"}, status: 400},
		// Collection triggers.
		{name: "collect", method: "POST", path: "/api/v1/collect/options", body: map[string]any{"symbols": []string{"aapl", "BRK-B"}}, headers: []string{adminKey()}, status: 202,
			check: func(t *testing.T, b map[string]any) {
				task := b["task"].(map[string]any)
				if task["kind"] != "options" || len(list(t, task["symbols"])) != 2 || task["to"] != testNow.Format(time.RFC3339) {
					t.Errorf("task %v", task)
				}
			}},
		{name: "collect bearer", method: "POST", path: "/api/v1/collect/daily", headers: []string{"Authorization: Bearer test-admin-key"}, status: 202},
		{name: "collect without key", method: "POST", path: "/api/v1/collect/daily", status: 401},
		{name: "collect wrong key", method: "POST", path: "/api/v1/collect/daily", headers: []string{"X-API-Key: guess"}, status: 403},
		{name: "collect unknown kind", method: "POST", path: "/api/v1/collect/weekly", headers: []string{adminKey()}, status: 422},
		{name: "collect unknown symbol", method: "POST", path: "/api/v1/collect/daily", body: map[string]any{"symbols": []string{"NOPE"}}, headers: []string{adminKey()}, status: 422},
		{name: "collect inverted window", method: "POST", path: "/api/v1/collect/daily", body: map[string]any{"from": "2026-11-20T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, headers: []string{adminKey()}, status: 422},
		// Unknown routes.
		{name: "unknown api route", method: "GET", path: "/api/v1/nothing", status: 404},
		{name: "wrong method", method: "DELETE", path: "/api/v1/universe", status: 405},
	}
}

// args are the case's headers and body as humatest takes them.
func (c apiCase) args() []any {
	args := []any{}
	for _, h := range c.headers {
		args = append(args, h)
	}
	if c.body != nil {
		args = append(args, c.body)
	}
	return args
}

func TestRoutes(t *testing.T) {
	s, api := newTestServer(t, Config{AdminKeys: Secrets{"test-admin-key"}})
	var published []string
	s.Collect = func(_ context.Context, task ingest.Task) error {
		published = append(published, task.ID)
		return nil
	}
	f := lakeFixtures(t, s.Engine)
	accepted := 0
	for _, c := range routeCases(t, f) {
		t.Run(c.name, func(t *testing.T) {
			w := api.Do(c.method, c.path, c.args()...)
			if w.Code != c.status {
				t.Fatalf("%s %s: status %d, want %d: %s", c.method, c.path, w.Code, c.status, w.Body.String())
			}
			if w.Header().Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID")
			}
			if c.status >= 400 {
				if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("content type %q, want application/problem+json", ct)
				}
				b := decode(t, w)
				if num(t, b["status"]) != float64(c.status) || b["title"] == "" || b["detail"] == nil && b["errors"] == nil {
					t.Errorf("problem document %v", b)
				}
				return
			}
			if c.status == 202 {
				accepted++
			}
			if c.check != nil {
				c.check(t, decode(t, w))
			}
		})
	}
	if len(published) != accepted {
		t.Errorf("%d tasks published for %d accepted triggers", len(published), accepted)
	}
}
