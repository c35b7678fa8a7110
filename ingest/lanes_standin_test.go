package ingest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/ingest/twelvedata"
	"github.com/tickerlake/tickerlake/ingest/twelvedata/tdtest"
	"github.com/tickerlake/tickerlake/ingest/yahoo"
	"github.com/tickerlake/tickerlake/ingest/yahoo/yhtest"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// TestCollectorBarsBesideATwentyMinuteSnapshot runs one collector against
// the Twelve Data and Yahoo stand-ins, each provider on its own manual
// clock (a provider's pace is its own). An options snapshot of 300 symbols
// x 4 expirations, 1200 calls or 20 one-minute windows at Yahoo's 60 a
// minute (the last starting 19 minutes in), is
// published ahead of a 15-minute-bars task of 40 symbols on two keys of 8
// credits a minute. The Yahoo stand-in stalls after its 8th call until the
// bars task is done, so the bars can only finish beside the snapshot, never
// after it; and they must finish within their own lower bound: 40 credits
// over 16 a minute is three windows, the last starting 2 minutes in.
func TestCollectorBarsBesideATwentyMinuteSnapshot(t *testing.T) {
	start := time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)
	tdClock, yhClock := clock.NewManual(start), clock.NewManual(start)

	td := tdtest.New(tdClock.Now)
	tdSrv := httptest.NewServer(td)
	defer tdSrv.Close()
	pool, err := ratelimit.NewPool(ratelimit.Limits{PerWindow: 8, PerDay: 800}, []string{"k1", "k2"})
	if err != nil {
		t.Fatal(err)
	}
	bars := &twelvedata.Source{Client: &twelvedata.Client{BaseURL: tdSrv.URL}, Pool: pool, Clock: tdClock}

	yh := yhtest.New(yhClock.Now)
	stall := make(chan struct{})
	var yhCalls atomic.Int64
	yhSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v7/finance/options/") && yhCalls.Add(1) > 8 {
			<-stall
		}
		yh.ServeHTTP(w, r)
	}))
	defer yhSrv.Close()
	defer func() {
		select {
		case <-stall:
		default:
			close(stall)
		}
	}()
	opts := &yahoo.Source{Client: &yahoo.Client{BaseURL: yhSrv.URL, CookieURL: yhSrv.URL + "/cookie"}, Clock: yhClock, Seed: 1}

	snap := ingest.NewTask(ingest.Options, start, start, symbols("S", 300)...)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	intraday := ingest.NewTask(ingest.Intraday, day, day.AddDate(0, 0, 1), symbols("B", 40)...)
	s := newLanesStand(t, snap, intraday)

	m := metrics.New()
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		done <- (&ingest.Collector{Source: &ingest.Router{Routes: map[ingest.Kind]ingest.Source{ingest.Options: opts, ingest.Intraday: bars}},
			Kafka: stream.Cluster{Brokers: s.brokers}, Log: log, Metrics: m}).Run(ctx)
	}()

	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for testutil.ToFloat64(m.Tasks.WithLabelValues("15min", "done")) < 1 {
		select {
		case <-ctx.Done():
			t.Fatalf("the bars task did not finish beside the snapshot (Yahoo calls %d, bar clock +%s)", yhCalls.Load(), tdClock.Now().Sub(start))
		case <-tick.C:
		}
	}
	barsTook := tdClock.Now().Sub(start)
	callsThen := yhCalls.Load()
	if inFlight := testutil.ToFloat64(m.TasksInFlight.WithLabelValues("yahoo")); inFlight != 1 {
		t.Errorf("yahoo tasks in flight %v when the bars were done, want 1", inFlight)
	}
	close(stall)
	waitGroupDone(t, ctx, metrics.NewConsumerLag(stream.Cluster{Brokers: s.brokers}, nil, nil), "collector", stream.TaskQueue)
	snapTook := yhClock.Now().Sub(start)

	const bound = 2 * time.Minute // ceil(40 credits / 16 a minute) - 1 windows
	t.Logf("bars: 40 symbols, %d calls, done after %s of their provider's clock (lower bound %s), while the snapshot had made %d of %d Yahoo calls; snapshot done after %s of its clock",
		len(td.Calls()), barsTook, bound, callsThen, len(yh.Calls()), snapTook)
	if barsTook > bound+10*time.Second { // the pool's margin is a second a window
		t.Errorf("bars took %s of their clock, want about %s", barsTook, bound)
	}
	if snapTook < 19*time.Minute {
		t.Errorf("the snapshot took %s of its clock, want 19 minutes or more", snapTook)
	}
	if n := td.Throttled(); n != 0 {
		t.Errorf("%d Twelve Data calls over the limits", n)
	}
	if got := testutil.CollectAndCount(m.TaskQueueWait); got < 2 {
		t.Errorf("queue wait observed for %d providers, want 2", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("collector: %v", err)
	}
}
