package metrics

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/stream"
)

// TestConsumerLag produces to a real Kafka-protocol broker, has a group
// consume and commit part of it, and checks the lag per partition sums to
// what is left, that a group that never committed lags by everything, and
// that an optional one that never committed reports no lag.
func TestConsumerLag(t *testing.T) {
	b, err := stream.StartBroker("127.0.0.1:0", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	brokers := []string{b.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const produced, consumed = 20, 7
	w := stream.NewWriter(stream.Cluster{Brokers: brokers}, stream.TaskQueue)
	msgs := make([]kafka.Message, produced)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte("v")}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := stream.NewReader(stream.ReaderConfig{Kafka: stream.Cluster{Brokers: brokers}, Group: "lagtest", Topics: []string{stream.TaskQueue}})
	for i := 0; i < consumed; i++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	c := NewConsumerLag(stream.Cluster{Brokers: brokers}, map[string][]string{"lagtest": {stream.TaskQueue}, "idle": {stream.TaskQueue}}, nil)
	for _, tc := range []struct {
		group string
		want  int64
	}{{"lagtest", produced - consumed}, {"idle", produced}} {
		lags, err := c.GroupLag(ctx, tc.group, []string{stream.TaskQueue})
		if err != nil {
			t.Fatal(err)
		}
		if len(lags) != stream.Partitions {
			t.Fatalf("%s: %d partitions, want %d", tc.group, len(lags), stream.Partitions)
		}
		var sum, hw int64
		for _, l := range lags {
			sum += l.Lag
			hw += l.HighWatermark
		}
		if sum != tc.want || hw != produced {
			t.Errorf("%s: lag %d over high watermarks %d, want %d over %d", tc.group, sum, hw, tc.want, produced)
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	if n := testutil.CollectAndCount(c, "tickerlake_kafka_consumer_group_lag"); n != 2*stream.Partitions {
		t.Errorf("%d lag series, want %d", n, 2*stream.Partitions)
	}
	// An optional group (a sink not deployed) that never committed has no
	// lag series, only its scrape status.
	c.Optional = map[string]bool{"idle": true, "lagtest": true}
	if n := testutil.CollectAndCount(c, "tickerlake_kafka_consumer_group_lag"); n != stream.Partitions {
		t.Errorf("with optional groups: %d lag series, want %d (lagtest's only)", n, stream.Partitions)
	}
	c.Optional = nil
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP tickerlake_kafka_consumer_group_lag_scrape_errors 1 when the last lag scrape of a group failed, else 0.
# TYPE tickerlake_kafka_consumer_group_lag_scrape_errors gauge
tickerlake_kafka_consumer_group_lag_scrape_errors{group="idle"} 0
tickerlake_kafka_consumer_group_lag_scrape_errors{group="lagtest"} 0
`), "tickerlake_kafka_consumer_group_lag_scrape_errors"); err != nil {
		t.Error(err)
	}
}

// TestConsumerLagBrokerDown reports a failed scrape instead of stale lag.
func TestConsumerLagBrokerDown(t *testing.T) {
	c := NewConsumerLag(stream.Cluster{Brokers: []string{"127.0.0.1:1"}}, map[string][]string{"writer": {"processed-daily-data"}}, nil)
	c.Timeout = 500 * time.Millisecond
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP tickerlake_kafka_consumer_group_lag_scrape_errors 1 when the last lag scrape of a group failed, else 0.
# TYPE tickerlake_kafka_consumer_group_lag_scrape_errors gauge
tickerlake_kafka_consumer_group_lag_scrape_errors{group="writer"} 1
`)); err != nil {
		t.Error(err)
	}
}
