package predict

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/serve"
)

// BenchmarkPredictHTTP measures GET /api/v1/predict through the api's
// full middleware over TCP, 16 clients at once, on a trained and warm
// model, beside the same server answering a fixed body from a bare huma
// operation (what the stack costs without forecasting).
func BenchmarkPredictHTTP(b *testing.B) {
	eng := sharedLake(b)
	models, err := lake.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.NewManual(testNow)
	svc := &Service{Lake: eng, Registry: &Registry{Store: models, Clock: clk}, Clock: clk}
	if _, err := svc.FineTune(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	m := metrics.New()
	srv := &serve.Server{Engine: eng, Lake: testStore, Metrics: m, Clock: clock.NewManual(testNow), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config: serve.Config{RateLimit: -1, ResponseCache: -1},
		Mount: []func(huma.API){func(api huma.API) {
			svc.Routes(api, serve.AdminOnly())
			huma.Get(api, "/api/v1/bench/fixed", func(context.Context, *struct{}) (*ForecastOutput, error) {
				return &ForecastOutput{Body: &Forecast{Symbol: "AAPL", Points: make([]Point, 5), ATMIV: []ATMIV{}}}, nil
			})
		}}}
	h, _ := srv.Handler()
	ts := httptest.NewServer(h)
	defer ts.Close()
	for _, sym := range testSymbols { // warm: features cached, model loaded
		if _, err := svc.Predict(context.Background(), sym, 5); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct{ name, path string }{
		{"bare-huma", "/api/v1/bench/fixed"},
		{"predict", "/api/v1/predict/%s?horizon=10"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			const clients = 16
			lat := make([][]time.Duration, clients)
			var wg sync.WaitGroup
			per := b.N/clients + 1
			b.ResetTimer()
			for c := range clients {
				wg.Go(func() {
					for i := range per {
						url := ts.URL + bc.path
						if bc.name == "predict" {
							url = ts.URL + fmt.Sprintf(bc.path, testSymbols[(c+i)%len(testSymbols)])
						}
						start := time.Now()
						resp, err := client.Get(url)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("%s: %d", url, resp.StatusCode)
							return
						}
						lat[c] = append(lat[c], time.Since(start))
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) > 0 {
				b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}

// universeLake writes two years of the synthetic market for the whole
// universe (daily and 15-minute bars) into a temporary lake once.
var (
	universeOnce  sync.Once
	universeStore *lake.Dir
	universeErr   error
)

func universeLake(b *testing.B) *lake.Dir {
	b.Helper()
	universeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tickerlake-predict-universe-")
		if err != nil {
			universeErr = err
			return
		}
		b.Cleanup(func() { _ = os.RemoveAll(dir) })
		if universeStore, universeErr = lake.NewDir(dir); universeErr != nil {
			return
		}
		cal := market.NYSE()
		mkt := synthetic.New(synthetic.Config{Seed: 3})
		from := testDay.AddDate(-2, 0, 0)
		days := cal.TradingDays(from, testDay)
		var off [2]int64
		for _, sym := range mkt.Symbols() {
			off[0] = laketest.Commit(b, universeStore, market.DailyBars, 0, off[0], 0, mkt.Daily(sym, from, testDay))
			var bars []market.IntradayBar
			for _, d := range days {
				bars = append(bars, mkt.Intraday(sym, d)...)
			}
			off[1] = laketest.Commit(b, universeStore, market.IntradayBars, 0, off[1], 0, bars)
		}
	})
	if universeErr != nil {
		b.Fatal(universeErr)
	}
	return universeStore
}

// BenchmarkFineTune is a whole fine-tune over the universe and two years:
// features read through DuckDB, the walk-forward evaluation of every
// model with monthly refits, the final fits and the commit. It reports
// the best volatility model's out-of-sample QLIKE over EWMA's and the
// band coverage of the serving model.
func BenchmarkFineTune(b *testing.B) {
	store := universeLake(b)
	eng, err := query.Open(store)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	clk := clock.NewManual(testNow)
	var meta Meta
	b.ResetTimer()
	for range b.N {
		svc := &Service{Lake: eng, Registry: &Registry{Store: store, Clock: clk}, Clock: clk}
		if meta, err = svc.FineTune(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	best := math.Inf(1)
	for _, c := range Candidates {
		best = math.Min(best, meta.Metrics[c].QLIKE)
	}
	e := meta.Metrics[EWMA]
	b.ReportMetric(float64(meta.Symbols), "symbols")
	b.ReportMetric(best/e.QLIKE, "best/ewma-qlike")
	b.ReportMetric(meta.Metrics[meta.Serving].Cover90, "cover90")
	b.ReportMetric(meta.Metrics[meta.Serving].Cover50, "cover50")
	for _, n := range append(slices.Clone(Candidates), Baselines...) {
		m := meta.Metrics[n]
		b.Logf("%-12s qlike %.4f mse %.4g pinball %.5f cover50 %.3f cover90 %.3f n %d (with iv: qlike %.4f n %d)",
			n, m.QLIKE, m.MSE, m.Pinball, m.Cover50, m.Cover90, m.N, m.QLIKEWithIV, m.NWithIV)
	}
	b.Logf("serving %s: %s", meta.Serving, meta.Reason)
}
