package serve

import (
	"context"
	"fmt"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/influx"
	"github.com/tickerlake/tickerlake/sink/sqlsink"
	"github.com/tickerlake/tickerlake/stream"
)

// ConsumerGroups are the pipeline's consumer groups and the topics each
// reads, whose lag the api reports. The sinks' groups are sink.Consumer's
// default names and run only where a sink is configured (OptionalGroups).
func ConsumerGroups() map[string][]string {
	return map[string][]string{
		"collector":   {stream.TaskQueue},
		"processor":   stream.RawTopics(),
		"writer":      stream.ProcessedTopics(),
		"sink-sql":    sink.Topics((*sqlsink.Sink)(nil).Datasets()),
		"sink-influx": sink.Topics((*influx.Sink)(nil).Datasets()),
	}
}

// OptionalGroups are the consumer groups whose lag is reported only once
// they have committed: the sinks, which run only where configured.
func OptionalGroups() map[string]bool {
	return map[string]bool{"sink-sql": true, "sink-influx": true}
}

// UseKafka connects the server to the brokers: collection triggers publish
// to task-queue, /readyz checks the brokers, and /metrics reports every
// consumer group's lag. Call it before Handler; the returned func closes
// the producer.
func (s *Server) UseKafka(k stream.Cluster) (closeFn func() error, err error) {
	if len(k.Brokers) == 0 {
		return func() error { return nil }, nil
	}
	w := stream.NewWriter(k, stream.TaskQueue)
	s.Collect = func(ctx context.Context, t ingest.Task) error { return jobs.Publish(ctx, w, t) }
	s.Ready = append(s.Ready, KafkaReady(k))
	lag := metrics.NewConsumerLag(k, ConsumerGroups(), s.Log)
	if err := s.Metrics.Registry.Register(lag); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("register consumer lag: %w", err)
	}
	return w.Close, nil
}
