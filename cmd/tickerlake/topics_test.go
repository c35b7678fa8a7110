package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/stream"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestTopicsCommand(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(stream.Partitions, stream.TaskQueue))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := func() string {
		var out bytes.Buffer
		cmd := &TopicsCmd{KafkaFlags: KafkaFlags{Brokers: c.ListenAddrs()}, ReplicationFactor: -1, Timeout: 10 * time.Second, out: &out}
		if err := cmd.Run(&Globals{}, context.Background(), testLogger(t)); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	first, second := run(), run()
	t.Logf("first run:\n%s", first)
	if n := strings.Count(first, "created"); n != len(stream.Topics())-1 {
		t.Errorf("first run created %d topics, want %d", n, len(stream.Topics())-1)
	}
	if n := strings.Count(second, "exists"); n != len(stream.Topics()) || strings.Contains(second, "created") {
		t.Errorf("second run:\n%s", second)
	}
	bad := &TopicsCmd{KafkaFlags: KafkaFlags{Brokers: c.ListenAddrs()}, ReplicationFactor: 0, Timeout: time.Second}
	if err := bad.Run(&Globals{}, context.Background(), testLogger(t)); err == nil || !strings.Contains(err.Error(), "--replication-factor") {
		t.Errorf("replication factor 0: %v", err)
	}
	if err := (&TopicsCmd{Timeout: time.Second}).Run(&Globals{}, context.Background(), testLogger(t)); err == nil || !strings.Contains(err.Error(), "--kafka-brokers") {
		t.Errorf("no brokers: %v", err)
	}
}
