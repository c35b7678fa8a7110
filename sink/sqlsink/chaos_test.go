package sqlsink

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/sinktest"
	"github.com/tickerlake/tickerlake/stream"
)

// countingSink counts the transient failures the consumer sees.
type countingSink struct {
	*Sink
	transient atomic.Int64
}

func (c *countingSink) Write(ctx context.Context, ds *market.Dataset, rows []sink.Row) error {
	err := c.Sink.Write(ctx, ds, rows)
	if sink.IsTransient(err) {
		c.transient.Add(1)
	}
	return err
}

// The server kills the sink's connections while it writes, as a failover
// or an administrator would: every row still lands exactly once.
func TestPostgresSurvivesKilledConnections(t *testing.T) {
	dsn := sinktest.PostgresDB(t, sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the PostgreSQL integration test"))
	ctx := context.Background()
	s, err := Open(ctx, Config{DSN: dsn, BulkRows: 100, Log: sinktest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fx := sinktest.NewFixture(60, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	brokers := sinktest.Broker(t)
	sinktest.Publish(t, brokers, fx.Messages(t))

	killer, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)
	kctx, stopKilling := context.WithCancel(ctx)
	defer stopKilling()
	var kills atomic.Int64
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for kctx.Err() == nil {
			var n int64
			err := killer.QueryRow(kctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
			if err == nil {
				kills.Add(n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	cs := &countingSink{Sink: s}
	m := metrics.New()
	c := &sink.Consumer{Sink: cs, Kafka: stream.Cluster{Brokers: brokers}, Metrics: m, Log: sinktest.Logger(t), BatchSize: 3,
		BatchWindow: 50 * time.Millisecond, Backoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	stop := sinktest.Run(t, c.Run)
	good := float64(len(fx.Daily) + len(fx.Intraday) + len(fx.Options))
	// Keep killing until a good share has gone through, then let it finish.
	sinktest.Eventually(t, 120*time.Second, func() (bool, string) {
		var got float64
		for _, ds := range market.Datasets() {
			got += sinkWritten(m, ds)
		}
		if got >= good/2 {
			stopKilling()
		}
		return got >= good, fmt.Sprintf("%v of %v rows written, %d connections killed", got, good, kills.Load())
	})
	stop()
	if kills.Load() == 0 || cs.transient.Load() == 0 {
		t.Fatalf("%d connections killed, %d transient failures: the test did not exercise recovery", kills.Load(), cs.transient.Load())
	}
	calls, puts := 0, 0
	for _, q := range fx.Options {
		if q.Type == market.Call {
			calls++
		} else {
			puts++
		}
	}
	// Count through a fresh pool once the killer has stopped: the sink's
	// pool may still hold connections killed while they sat idle.
	stopKilling()
	<-killerDone
	fresh, err := Open(ctx, Config{DSN: dsn, Log: sinktest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	reconcile(t, fresh, map[*sink.Table]int64{
		sink.StockData: int64(len(fx.Daily)), sink.StockData15Min: int64(len(fx.Intraday)),
		sink.CallOptions: int64(calls), sink.PutOptions: int64(puts),
	})
	t.Logf("%d connections killed, %d transient failures retried", kills.Load(), cs.transient.Load())
}
