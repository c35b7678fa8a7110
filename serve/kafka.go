package serve

import (
	"context"
	"fmt"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// ConsumerGroups are the pipeline's consumer groups and the topics each
// reads, whose lag the api reports.
func ConsumerGroups() map[string][]string {
	return map[string][]string{
		"collector": {stream.TaskQueue},
		"processor": stream.RawTopics(),
		"writer":    stream.ProcessedTopics(),
	}
}

// UseKafka connects the server to the brokers: collection triggers publish
// to task-queue, /readyz checks the brokers, and /metrics reports every
// consumer group's lag. Call it before Handler; the returned func closes
// the producer.
func (s *Server) UseKafka(brokers []string) (closeFn func() error, err error) {
	if len(brokers) == 0 {
		return func() error { return nil }, nil
	}
	w := stream.NewWriter(brokers, stream.TaskQueue)
	s.Collect = func(ctx context.Context, t ingest.Task) error { return jobs.Publish(ctx, w, t) }
	s.Ready = append(s.Ready, KafkaReady(brokers))
	lag := metrics.NewConsumerLag(brokers, ConsumerGroups(), s.Log)
	if err := s.Metrics.Registry.Register(lag); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("register consumer lag: %w", err)
	}
	return w.Close, nil
}
