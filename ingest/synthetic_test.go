package ingest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

func fetchAll(t *testing.T, src Source, task Task) []Raw {
	t.Helper()
	var out []Raw
	if err := src.Fetch(context.Background(), task, func(r Raw) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSyntheticRendersProviderShapes(t *testing.T) {
	src := NewSynthetic(synthetic.New(synthetic.Config{Seed: 5}))
	cal := market.NYSE()
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) // early close: 14 bars
	open, closeT, _ := cal.Session(day)

	t.Run("daily", func(t *testing.T) {
		raws := fetchAll(t, src, NewTask(Daily, day.AddDate(0, 0, -7), day.AddDate(0, 0, 1), "AAPL", "brk-b"))
		if len(raws) != 2 || raws[1].Symbol != "BRK.B" || raws[0].Topic != stream.DailyData {
			t.Fatalf("got %d messages: %+v", len(raws), raws)
		}
		ts, err := wire.DecodeTimeSeries(raws[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		// Nov 20..27 holds 5 sessions (Thanksgiving closed).
		if len(ts.Values) != 5 || ts.Values[0].Datetime != "2026-11-27" {
			t.Fatalf("values %+v, want 5 sessions newest first", ts.Values)
		}
	})
	t.Run("intraday window", func(t *testing.T) {
		raws := fetchAll(t, src, NewTask(Intraday, open.Add(time.Hour), closeT, "MSFT"))
		ts, err := wire.DecodeTimeSeries(raws[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts.Values) != 10 {
			t.Fatalf("%d bars between 10:30 and the 13:00 close, want 10", len(ts.Values))
		}
		f, err := ts.Values[len(ts.Values)-1].Parse(ts.Meta.Interval)
		if err != nil || !f.Time.Equal(open.Add(time.Hour)) {
			t.Fatalf("oldest bar at %v (%v), want %s", f.Time, err, open.Add(time.Hour))
		}
	})
	t.Run("options", func(t *testing.T) {
		at := open.Add(2 * time.Hour)
		raws := fetchAll(t, src, NewTask(Options, at, at, "AAPL"))
		if len(raws) < 4 {
			t.Fatalf("%d expirations within 90 days", len(raws))
		}
		for _, r := range raws {
			if stream.Header(kafkaMsg(r), stream.HeaderSnapshot) != at.Format(time.RFC3339Nano) {
				t.Fatalf("snapshot header %q", stream.Header(kafkaMsg(r), stream.HeaderSnapshot))
			}
			res, err := wire.DecodeOptionChain(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Options) != 1 || len(res.Options[0].Calls) == 0 || len(res.Options[0].Calls) != len(res.Options[0].Puts) {
				t.Fatalf("one expiration per message with calls and puts: %+v", res.Options)
			}
		}
	})
	t.Run("corporate actions", func(t *testing.T) {
		from := day.AddDate(-10, 0, 0)
		var want int
		for _, sym := range src.Market.Symbols() {
			want += len(src.Market.Actions(sym, from, day))
		}
		raws := fetchAll(t, src, NewTask(Actions, from, day.AddDate(0, 0, 1)))
		var got, splits int
		for _, r := range raws {
			if r.Topic != "corporate-actions" {
				t.Fatalf("topic %s", r.Topic)
			}
			res, err := wire.DecodeChart(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			if market.CanonicalSymbol(res.Meta.Symbol) != r.Symbol {
				t.Fatalf("chart of %s in a message keyed %s", res.Meta.Symbol, r.Symbol)
			}
			if res.Events != nil {
				got += len(res.Events.Dividends) + len(res.Events.Splits)
				splits += len(res.Events.Splits)
				for k, sp := range res.Events.Splits {
					if sp.Date == nil || k != strconv.FormatInt(*sp.Date, 10) || *sp.Numerator < 2 || *sp.Denominator != 1 {
						t.Errorf("%s split %s: %+v", r.Symbol, k, sp)
					}
				}
			}
		}
		if got != want || splits == 0 || len(raws) != len(src.Market.Symbols()) {
			t.Errorf("%d messages with %d events (%d splits), want one a symbol and %d events", len(raws), got, splits, want)
		}
	})
	t.Run("closed day", func(t *testing.T) {
		thanksgiving := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
		if raws := fetchAll(t, src, NewTask(Daily, thanksgiving, thanksgiving.AddDate(0, 0, 1))); len(raws) != 0 {
			t.Fatalf("%d messages for a holiday", len(raws))
		}
	})
}

func kafkaMsg(r Raw) kafka.Message { return kafka.Message{Headers: r.Headers} }
