// Package laketest builds small lakes for tests: rows of each dataset and
// the commits the writer would make of them, without a broker.
package laketest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink/sinktest"
)

// Writer is a lake writer that needs no broker: tests call WriteBatch.
func Writer(store lake.Store) *lake.Writer {
	return &lake.Writer{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New()}
}

// Commit writes rows (a slice of a dataset's row type) as the writer would
// for the messages topic/partition/first.., one message per chunk rows,
// and returns the offset after the last.
func Commit(t testing.TB, store lake.Store, ds *market.Dataset, partition int, first int64, chunk int, rows any) int64 {
	t.Helper()
	msgs := Messages(t, ds, partition, first, chunk, rows)
	if err := Writer(store).WriteBatch(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	return first + int64(len(msgs))
}

// Messages encodes rows as processed messages of ds's topic.
func Messages(t testing.TB, ds *market.Dataset, partition int, first int64, chunk int, rows any) []kafka.Message {
	t.Helper()
	topic := Topic(ds)
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice || v.Type().Elem() != ds.RowType {
		t.Fatalf("laketest: rows of type %T for %s", rows, ds.Name)
	}
	if chunk <= 0 {
		chunk = v.Len()
	}
	var msgs []kafka.Message
	for i := 0; i < v.Len(); i += chunk {
		msgs = append(msgs, sinktest.Message(t, topic, ds, "", v.Slice(i, min(i+chunk, v.Len())).Interface()))
	}
	for i := range msgs {
		msgs[i].Partition, msgs[i].Offset = partition, first+int64(i)
	}
	return msgs
}

// Topic is the processed topic a dataset arrives on: its first feed's
// in the registry.
func Topic(ds *market.Dataset) string {
	f, err := market.FeedOf(ds)
	if err != nil {
		panic(err) // every dataset has a feed (market.TestRegistryConsistent)
	}
	return f.Processed
}

// DailyBars makes a deterministic year-long-ish series of daily bars for
// each symbol: days weekdays from start, ingested at ingested.
func DailyBars(symbols []string, start time.Time, days int, ingested time.Time) []market.DailyBar {
	var out []market.DailyBar
	for si, s := range symbols {
		d := start
		for n := 0; n < days; d = d.AddDate(0, 0, 1) {
			if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
				continue
			}
			p := 100 + float64(si*10) + 5*math.Sin(float64(n)/7)
			out = append(out, market.DailyBar{Symbol: s, Date: d, Open: p, High: p + 1, Low: p - 1, Close: p + 0.5,
				Volume: int64(1000 + n), IngestedAt: ingested})
			n++
		}
	}
	return out
}

// IntradayBars makes one session of 15-minute bars (26) per symbol on day.
func IntradayBars(symbols []string, day time.Time, ingested time.Time) []market.IntradayBar {
	open := time.Date(day.Year(), day.Month(), day.Day(), 14, 30, 0, 0, time.UTC)
	var out []market.IntradayBar
	for si, s := range symbols {
		for i := 0; i < 26; i++ {
			p := 50 + float64(si) + float64(i)/10
			out = append(out, market.IntradayBar{Symbol: s, TS: open.Add(time.Duration(i) * 15 * time.Minute),
				Open: p, High: p + 0.2, Low: p - 0.2, Close: p + 0.1, Volume: int64(100 * (i + 1)), IngestedAt: ingested})
		}
	}
	return out
}

// OptionChain makes one snapshot of a chain: strikes calls and puts for
// each of expirations weekly expirations.
func OptionChain(symbol string, snapshot time.Time, expirations, strikes int, ingested time.Time) []market.OptionQuote {
	var out []market.OptionQuote
	day := market.DateOf(snapshot)
	for e := 0; e < expirations; e++ {
		exp := day.AddDate(0, 0, 7*(e+1))
		for k := 0; k < strikes; k++ {
			strike := 80 + float64(k)*2.5
			for _, typ := range []market.OptionType{market.Call, market.Put} {
				c := "C"
				if typ == market.Put {
					c = "P"
				}
				out = append(out, market.OptionQuote{
					SnapshotTS: snapshot, Symbol: symbol, Type: typ, Expiration: exp, Strike: strike,
					ContractSymbol: fmt.Sprintf("%s%s%s%08d", symbol, exp.Format("060102"), c, int(strike*1000)),
					LastPrice:      1 + float64(k)/10, Bid: 1, Ask: 1.1, Volume: int64(k), OpenInterest: int64(10 * k),
					SourceIV: 0.3, ContractSize: "REGULAR", Currency: "USD", UnderlyingPrice: 100, Mid: 1.05,
					IV: 0.3, Delta: 0.5, Gamma: 0.01, Theta: -0.02, Vega: 0.1, Rho: 0.01, Moneyness: strike / 100,
					DaysToExpiry: float64(7 * (e + 1)), IngestedAt: ingested,
				})
			}
		}
	}
	return out
}
