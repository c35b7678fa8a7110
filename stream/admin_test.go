package stream

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

func newCluster(t *testing.T, opts ...kfake.Opt) Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return Cluster{Brokers: c.ListenAddrs()}
}

func TestEnsureTopics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := newCluster(t, kfake.SeedTopics(Partitions, TaskQueue))

	states, err := EnsureTopics(ctx, brokers, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != len(Topics()) {
		t.Fatalf("%d topics reported, want %d", len(states), len(Topics()))
	}
	for _, s := range states {
		if s.Partitions != Partitions || s.Created != (s.Name != TaskQueue) {
			t.Errorf("first run: %+v", s)
		}
	}
	if err := CheckTopics(ctx, brokers, TopicSpecs()); err != nil {
		t.Fatalf("after creation: %v", err)
	}

	t.Run("idempotent", func(t *testing.T) {
		states, err := EnsureTopics(ctx, brokers, -1)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if s.Created {
				t.Errorf("second run created %s", s.Name)
			}
		}
	})
}

func TestEnsureTopicsRefusesWrongPartitionCount(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := newCluster(t, kfake.SeedTopics(3, ProcessedIVSmile))
	_, err := EnsureTopics(ctx, brokers, -1)
	var te *TopicError
	if !errors.As(err, &te) || te.Topic != ProcessedIVSmile || te.Partitions != 3 || te.Want != Partitions {
		t.Fatalf("err = %v, want a TopicError for %s with 3 partitions", err, ProcessedIVSmile)
	}
	if !strings.Contains(err.Error(), `topic "processed-iv-smile" has 3 partitions, want 5`) {
		t.Errorf("message %q does not name the topic and counts", err)
	}
	// The same reason stops a role at start, without waiting.
	start := time.Now()
	if err := AwaitTopics(ctx, brokers, TopicSpecs(), time.Minute, 10*time.Millisecond); !errors.As(err, &te) {
		t.Errorf("AwaitTopics: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("AwaitTopics took %s on a permanent error", d)
	}
}

func TestEnsureTopicsUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = EnsureTopics(ctx, Cluster{Brokers: []string{addr}}, -1)
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("err = %v, want one naming %s", err, addr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %s with a 2s deadline", d)
	}
}

func TestCheckTopicsMissing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := newCluster(t)
	err := CheckTopics(ctx, brokers, TopicSpecs())
	var te *TopicError
	if !errors.As(err, &te) || !te.Missing() || te.Topic != TaskQueue {
		t.Fatalf("err = %v, want task-queue missing", err)
	}
}

func TestTopicSpecsMatchTopics(t *testing.T) {
	specs := TopicSpecs()
	for i, n := range Topics() {
		if specs[i].Name != n || specs[i].Partitions != Partitions {
			t.Errorf("spec %d = %+v, want %s/%d", i, specs[i], n, Partitions)
		}
	}
}
