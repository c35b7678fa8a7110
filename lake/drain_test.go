package lake_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// stuckStore's writes hang until their context ends, as on an S3 outage.
type stuckStore struct {
	lake.Store
	started chan struct{}
}

func (s *stuckStore) PutIfAbsent(ctx context.Context, key string, data []byte) (bool, error) {
	select {
	case s.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return false, ctx.Err()
}

// TestWriterAbandonsBatchPastDrainTimeout: stopped while its store hangs,
// the writer gives up its batch after DrainTimeout, returns cleanly and
// commits no offset, so the next writer writes the batch.
func TestWriterAbandonsBatchPastDrainTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	b, err := stream.StartBroker(addr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	brokers := []string{b.Addr()}

	msgs := laketest.Messages(t, market.DailyBars, 0, 0, 0,
		laketest.DailyBars([]string{"AAPL", "MSFT"}, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), 5, time.Date(2027, 3, 8, 0, 0, 0, 0, time.UTC)))
	for i := range msgs {
		msgs[i].Partition, msgs[i].Offset = 0, 0
	}
	p := stream.NewWriter(stream.Cluster{Brokers: brokers}, "")
	if err := p.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	p.Close()

	dir, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	stuck := &stuckStore{Store: dir, started: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	w := &lake.Writer{Store: stuck, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: metrics.New(), DrainTimeout: 200 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-stuck.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the writer wrote nothing within 30s")
	}
	cancel()
	stopped := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stopped writer returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the writer did not give up its batch within 10s")
	}
	t.Logf("stopped %s after SIGTERM with DrainTimeout 200ms", time.Since(stopped).Round(time.Millisecond))

	// The next writer gets the batch again: no offset was committed.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	w2 := &lake.Writer{Store: dir, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: metrics.New()}
	done2 := make(chan error, 1)
	go func() { done2 <- w2.Run(ctx2) }()
	cat := &lake.Catalog{Store: dir}
	deadline := time.Now().Add(60 * time.Second)
	for {
		cms, err := cat.Commits(context.Background(), market.DailyBars.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(cms) > 0 {
			if cms[0].FirstOffset != 0 || cms[0].Rows != 10 {
				t.Errorf("redelivered commit %+v, want offsets from 0 and 10 rows", cms[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the abandoned batch was not written by the next writer within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel2()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
}
