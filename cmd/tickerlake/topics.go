package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tickerlake/tickerlake/stream"
)

// TopicsCmd creates the pipeline's topics on a Kafka cluster: what the
// topics Job runs before the roles start.
type TopicsCmd struct {
	KafkaFlags
	ReplicationFactor int           `name:"replication-factor" env:"TICKERLAKE_REPLICATION_FACTOR" default:"-1" help:"Replicas of each topic created; -1 takes the brokers' default.replication.factor."`
	Timeout           time.Duration `name:"timeout" env:"TICKERLAKE_TOPICS_TIMEOUT" default:"30s" help:"Give up, naming the brokers, when the cluster has not answered within this long."`

	out io.Writer // where the topic table goes (default stdout)
}

// Run implements the command.
func (c *TopicsCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	kc, err := needKafka(c.KafkaFlags, log)
	if err != nil {
		return err
	}
	if c.ReplicationFactor == 0 || c.ReplicationFactor < -1 {
		return fmt.Errorf("--replication-factor %d: want -1 (the brokers' default) or at least 1", c.ReplicationFactor)
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	states, err := stream.EnsureTopics(ctx, kc, c.ReplicationFactor)
	if err != nil {
		return fmt.Errorf("topics on %v: %w", kc.Brokers, err)
	}
	out := c.out
	if out == nil {
		out = os.Stdout
	}
	created := 0
	for _, s := range states {
		what := "exists"
		if s.Created {
			what, created = "created", created+1
		} else if s.Reconfigured {
			what = "configs set"
		}
		fmt.Fprintf(out, "%-28s %2d partitions  %s\n", s.Name, s.Partitions, what)
	}
	log.Info("topics ready", "brokers", kc.Brokers, "topics", len(states), "created", created)
	return nil
}
