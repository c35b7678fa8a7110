// Package influx is the InfluxDB sink: it writes the 15-minute bars as the
// measurement stock_15min, tagged by StockName and symbol, through the v2
// write API (InfluxDB 2.x with org and bucket; 1.8+ with bucket "db/rp").
//
// A point is keyed by measurement, tags and time, so writing a bar again
// overwrites it with the same fields: replays are harmless.
package influx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/influxdata/influxdb-client-go/v2/api/write"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
)

// Measurement is the measurement the bars are written to.
const Measurement = "stock_15min"

// Config configures the sink.
type Config struct {
	URL string
	// Token authenticates: an InfluxDB 2.x API token, or "user:password"
	// for 1.8 with authentication on; empty for none.
	Token string
	// Org is the 2.x organisation; 1.8 ignores it.
	Org string
	// Bucket is the 2.x bucket, or "database/retention-policy" (or just
	// "database") for 1.8.
	Bucket string
	// BatchSize is the most points per write request (default 5000).
	BatchSize int
	// Timeout bounds one write request (default 30s).
	Timeout time.Duration
}

// Sink writes 15-minute bars to InfluxDB.
type Sink struct {
	client    influxdb2.Client
	api       api.WriteAPIBlocking
	batchSize int
	cols      columns
}

// columns are the positions of the bar's columns in a row.
type columns struct{ symbol, ts, open, high, low, close, volume, imputed int }

// New connects to InfluxDB and checks that it answers.
func New(ctx context.Context, cfg Config) (*Sink, error) {
	if cfg.URL == "" || cfg.Bucket == "" {
		return nil, errors.New("influx: URL and bucket are required")
	}
	if _, err := url.ParseRequestURI(cfg.URL); err != nil {
		return nil, fmt.Errorf("influx url %q: %w", cfg.URL, err)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 5000
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := influxdb2.DefaultOptions().
		SetUseGZip(true).
		SetPrecision(time.Second).
		SetHTTPRequestTimeout(uint(cfg.Timeout / time.Second)).
		SetApplicationName("tickerlake")
	client := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, opts)
	ok, err := client.Ping(ctx)
	if err != nil || !ok {
		client.Close()
		if err == nil {
			err = errors.New("no answer to ping")
		}
		return nil, fmt.Errorf("influx %s: %w", cfg.URL, err)
	}
	return &Sink{client: client, api: client.WriteAPIBlocking(cfg.Org, cfg.Bucket), batchSize: cfg.BatchSize, cols: columnsOf(market.IntradayBars)}, nil
}

func columnsOf(ds *market.Dataset) columns {
	idx := map[string]int{}
	for i, c := range ds.Columns {
		idx[c.Name] = i
	}
	return columns{symbol: idx["symbol"], ts: idx["ts"], open: idx["open"], high: idx["high"], low: idx["low"],
		close: idx["close"], volume: idx["volume"], imputed: idx["imputed"]}
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "influx" }

// Datasets implements sink.Sink: only the 15-minute bars go to InfluxDB.
func (s *Sink) Datasets() []*market.Dataset { return []*market.Dataset{market.IntradayBars} }

// Point is the point of one 15-minute bar row.
func (s *Sink) Point(r sink.Row) *write.Point {
	v, c := r.Values, s.cols
	sym, _ := v[c.symbol].(string)
	ts, _ := v[c.ts].(time.Time)
	fields := map[string]any{}
	for name, i := range map[string]int{"open": c.open, "high": c.high, "low": c.low, "close": c.close, "volume": c.volume, "imputed": c.imputed} {
		if v[i] != nil {
			fields[name] = v[i]
		}
	}
	return write.NewPoint(Measurement, map[string]string{"StockName": sym, "symbol": sym}, fields, ts)
}

// Write implements sink.Sink.
func (s *Sink) Write(ctx context.Context, ds *market.Dataset, rows []sink.Row) error {
	if ds != market.IntradayBars {
		return nil
	}
	for start := 0; start < len(rows); start += s.batchSize {
		chunk := rows[start:min(start+s.batchSize, len(rows))]
		points := make([]*write.Point, len(chunk))
		for i, r := range chunk {
			points[i] = s.Point(r)
		}
		if err := s.api.WritePoint(ctx, points...); err != nil {
			return classify(fmt.Errorf("write %d points: %w", len(points), err))
		}
	}
	return nil
}

// Close releases the client.
func (s *Sink) Close() { s.client.Close() }

// classify: 400 and 422 are the points themselves (a field type conflict, a
// point outside the retention policy); 413 is a request too large, which
// splitting cures; 429 and 5xx are the server's state, as are network errors.
func classify(err error) error {
	var he *ihttp.Error
	if errors.As(err, &he) {
		switch {
		case he.StatusCode == 400, he.StatusCode == 422, he.StatusCode == 413:
			return sink.Rejected(err)
		case he.StatusCode == 429, he.StatusCode >= 500:
			return sink.TransientAfter(err, time.Duration(he.RetryAfter)*time.Second)
		case he.StatusCode == 0 && he.Err != nil:
			return sink.Transient(err) // no answer: connection refused, reset, timeout
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return sink.Transient(err)
	}
	return err
}
