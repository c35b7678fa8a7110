package serve

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/internal/loadgen"
	"github.com/tickerlake/tickerlake/metrics"
)

// BenchmarkLoad drives the API over real HTTP with 16 concurrent clients
// (GOMAXPROCS × 8 on this 2-core machine) and, in the same run, the bare
// DuckDB queries behind each route, so the API's own cost shows: a year of
// daily bars of one symbol, and one full option chain (every expiration of
// the newest snapshot). Each reports requests/s and p50/p99 latency.
//
//	go test -run XXX -bench Load -benchtime 3000x ./serve/
func BenchmarkLoad(b *testing.B) {
	store, eng := sharedLake(b)
	// One server as `tickerlake up` runs it (1s response cache) and one
	// that queries DuckDB on every request.
	servers := map[string]*httptest.Server{}
	for name, ttl := range map[string]time.Duration{"api": time.Second, "api-nocache": 0} {
		s := &Server{Engine: eng, Lake: store, Metrics: metrics.New(), Clock: clock.System{},
			Log: slog.New(slog.DiscardHandler), Config: Config{ResponseCache: ttl}}
		h, _ := s.Handler()
		servers[name] = httptest.NewServer(h)
		defer servers[name].Close()
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	db := eng.DB()
	ctx := context.Background()
	if err := eng.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	from, to := testDay.AddDate(-1, 0, 0), testDay
	cases := []struct {
		name string
		url  string
		bare func() error
	}{
		{"bars-1y", "/api/v1/bars/AAPL?from=" + from.Format(time.DateOnly) + "&to=" + to.Format(time.DateOnly) + "&page_size=5000", func() error {
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM daily_bars WHERE symbol = ? AND date >= ? AND date <= ?", "AAPL", from, to).Scan(&n); err != nil {
				return err
			}
			return loadgen.Drain(db.QueryContext(ctx, "SELECT date, open, high, low, close, volume, imputed FROM daily_bars WHERE symbol = ? AND date >= ? AND date <= ? ORDER BY date LIMIT 5000", "AAPL", from, to))
		}},
		{"chain", "/api/v1/options/AAPL/chain", func() error {
			var latest time.Time
			if err := db.QueryRowContext(ctx, "SELECT max(snapshot_ts) FROM option_quotes WHERE symbol = ?", "AAPL").Scan(&latest); err != nil {
				return err
			}
			return loadgen.Drain(db.QueryContext(ctx, `SELECT contract_symbol, option_type, last_trade_ts, expiration, strike, last_price, bid, ask, change, percent_change,
				volume, open_interest, source_iv, in_the_money, contract_size, currency, underlying_price, mid, iv, delta, gamma, theta, vega, rho, days_to_expiry
				FROM option_quotes WHERE symbol = ? AND snapshot_ts = ? ORDER BY expiration, strike, option_type`, "AAPL", latest))
		}},
	}
	for _, c := range cases {
		for _, name := range []string{"api", "api-nocache"} {
			b.Run(c.name+"/"+name, func(b *testing.B) {
				loadgen.Run(b, func() error {
					resp, err := client.Get(servers[name].URL + c.url)
					if err != nil {
						return err
					}
					_, err = io.Copy(io.Discard, resp.Body)
					if cerr := resp.Body.Close(); err == nil {
						err = cerr
					}
					if resp.StatusCode != 200 {
						b.Fatalf("%s: status %d", c.url, resp.StatusCode)
					}
					return err
				})
			})
		}
		b.Run(c.name+"/duckdb", func(b *testing.B) { loadgen.Run(b, c.bare) })
	}
}
