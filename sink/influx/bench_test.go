package influx

import (
	"context"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api/write"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/sinktest"
)

const benchPoints = 10000

// benchBars are benchPoints 15-minute bars at times no earlier iteration used.
func benchBars(iter int) []sink.Row {
	rows := make([]sink.Row, benchPoints)
	start := time.Date(2020, 1, 2, 14, 30, 0, 0, time.UTC).Add(time.Duration(iter) * benchPoints / 100 * 15 * time.Minute)
	at := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		sym := sinktest.Symbols[i%len(sinktest.Symbols)] + string(rune('A'+i/len(sinktest.Symbols)%16))
		p := 100 + float64(i%97)
		rows[i] = sink.Row{Values: []any{sym, start.Add(time.Duration(i/100) * 15 * time.Minute), p, p + 1, p - 1, p + 0.25, int64(100 + i), false, at}}
	}
	return rows
}

// BenchmarkInflux compares the sink with the bare client writing the same
// points through the same blocking v2 write API, gzip and batch size.
func BenchmarkInflux(b *testing.B) {
	base := sinktest.Env(b, "TICKERLAKE_TEST_INFLUX_URL", "the InfluxDB benchmark")
	bucket := sinktest.InfluxDB(b, base)
	ctx := context.Background()
	s, err := New(ctx, Config{URL: base, Bucket: bucket})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	iter := 0
	report := func(b *testing.B) {
		b.ReportMetric(float64(benchPoints)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	}
	b.Run("sink", func(b *testing.B) {
		for b.Loop() {
			iter++
			if err := s.Write(ctx, market.IntradayBars, benchBars(iter)); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("bare-client", func(b *testing.B) {
		client := influxdb2.NewClientWithOptions(base, "", influxdb2.DefaultOptions().SetUseGZip(true).SetPrecision(time.Second))
		defer client.Close()
		api := client.WriteAPIBlocking("", bucket)
		for b.Loop() {
			iter++
			rows := benchBars(iter)
			points := make([]*write.Point, len(rows))
			for i, r := range rows {
				v := r.Values
				points[i] = write.NewPoint(Measurement, map[string]string{"StockName": v[0].(string), "symbol": v[0].(string)},
					map[string]any{"open": v[2], "high": v[3], "low": v[4], "close": v[5], "volume": v[6], "imputed": v[7]}, v[1].(time.Time))
			}
			for start := 0; start < len(points); start += 5000 {
				if err := api.WritePoint(ctx, points[start:min(start+5000, len(points))]...); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
}
