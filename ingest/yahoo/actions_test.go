package yahoo

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/ingest/yahoo/yhtest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

// Dividends and splits come through the crumb session, one chart answer a
// symbol; an unknown symbol, a partial answer and bad events reach the
// processor, which dead-letters them with their reasons while the rest flows.
func TestCollectsCorporateActions(t *testing.T) {
	clk := clock.NewManual(snapshot)
	fake, client := newFake(t, clk)
	msft := 0
	fake.ChartScript = func(_ int, sym string) (int, []byte, bool) {
		switch sym {
		case "MSFT": // throttled, then cut short, then fine
			msft++
			switch msft {
			case 1:
				return http.StatusTooManyRequests, []byte(`{}`), true
			case 2:
				return http.StatusOK, yhtest.File("chart_malformed.json"), true
			}
		case "BAD":
			return http.StatusOK, yhtest.File("chart_bad_events.json"), true
		case "EMPTY":
			return http.StatusOK, yhtest.File("chart_empty.json"), true
		}
		return 0, nil, false
	}
	src := newSource(client, clk)
	src.Backoff = time.Millisecond
	from := snapshot.AddDate(-10, 0, 0)
	task := ingest.NewTask(ingest.Actions, from, snapshot, "AAPL", "MSFT", "ZZZZ", "BAD", "EMPTY")
	var out sink
	if err := src.Fetch(t.Context(), task, out.emit); err != nil {
		t.Fatal(err)
	}
	if len(out.raws) != 5 || fake.Crumbs() != 1 {
		t.Fatalf("%d messages and %d crumbs, want one message a symbol and one crumb", len(out.raws), fake.Crumbs())
	}
	calls := fake.Charts()
	if len(calls) != 7 || calls[0].Date != "1479675600" || calls[0].Sym != "AAPL" {
		t.Errorf("chart calls %+v: want AAPL from %d, MSFT three times, then one each", calls, from.Unix())
	}
	cl := &transform.Cleaner{Calendar: market.NYSE(), Clock: clk}
	var rows int
	var reasons []string
	for _, r := range out.raws {
		if r.Topic != "corporate-actions" || header(r, stream.HeaderSchema) != wire.SchemaChartEvents {
			t.Fatalf("%s message on %s with schema %q", r.Symbol, r.Topic, header(r, stream.HeaderSchema))
		}
		res, err := cl.Clean(r.Topic, r.Value, "")
		if err != nil {
			t.Fatal(err)
		}
		rows += res.N
		for _, rj := range res.Rejects {
			reasons = append(reasons, r.Symbol+":"+rj.Reason)
		}
	}
	// AAPL and MSFT (the recorded events, moved): two splits and five
	// dividends each; BAD: one of each.
	if rows != 16 {
		t.Errorf("%d rows, want 16", rows)
	}
	want := []string{"ZZZZ:unknown_symbol", "BAD:bad_dividend", "BAD:missing_value", "BAD:bad_split_ratio", "BAD:bad_split_ratio", "EMPTY:partial_response"}
	if !slices.Equal(reasons, want) {
		t.Errorf("reasons %v, want %v", reasons, want)
	}
}

// An answer that stays cut short is published after the last attempt, for
// the processor to refuse as decode_error, rather than lost.
func TestMalformedChartIsPublished(t *testing.T) {
	clk := clock.NewManual(snapshot)
	fake, client := newFake(t, clk)
	fake.ChartScript = func(int, string) (int, []byte, bool) {
		return http.StatusOK, yhtest.File("chart_malformed.json"), true
	}
	src := newSource(client, clk)
	src.MaxAttempts, src.Backoff = 2, time.Millisecond
	var out sink
	if err := src.Fetch(t.Context(), ingest.NewTask(ingest.Actions, snapshot.AddDate(-1, 0, 0), snapshot, "AAPL"), out.emit); err != nil {
		t.Fatal(err)
	}
	if len(out.raws) != 1 || len(fake.Charts()) != 2 {
		t.Fatalf("%d messages after %d calls", len(out.raws), len(fake.Charts()))
	}
	res, err := (&transform.Cleaner{Clock: clk}).Clean("corporate-actions", out.raws[0].Value, "")
	if err != nil || len(res.Rejects) != 1 || res.Rejects[0].Reason != transform.ReasonDecode {
		t.Errorf("cleaned to %+v, %v", res.Rejects, err)
	}
}
