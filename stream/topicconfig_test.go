package stream

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/internal/logbuf"
	"github.com/tickerlake/tickerlake/market"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const processedActions = "processed-corporate-actions"

// describeTopicConfigs reads a topic's configs with a client of its own
// (franz-go), not the one EnsureTopics used.
func describeTopicConfigs(t *testing.T, ctx context.Context, k Cluster, topic string) map[string]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDescribeConfigsRequest()
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType = kmsg.ConfigResourceTypeTopic
	r.ResourceName = topic
	req.Resources = append(req.Resources, r)
	res, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("describe configs of %s: %v", topic, err)
	}
	out := map[string]string{}
	for _, r := range res.Resources {
		if r.ErrorCode != 0 {
			t.Fatalf("describe configs of %s: error code %d", topic, r.ErrorCode)
		}
		for _, c := range r.Configs {
			if c.Value != nil {
				out[c.Name] = *c.Value
			}
		}
	}
	return out
}

// The topic a restarted processor replays keeps its records forever; the
// others keep the broker's default.
func TestTopicSpecsConfigFromRegistry(t *testing.T) {
	replayed := 0
	for _, s := range TopicSpecs() {
		keep := false
		for _, feed := range market.Feeds() {
			keep = keep || (feed.Processed == s.Name && feed.Replayed)
		}
		if keep {
			replayed++
			if s.Config["retention.ms"] != "-1" || s.Config["retention.bytes"] != "-1" {
				t.Errorf("%s: config %v, want unlimited retention", s.Name, s.Config)
			}
		} else if len(s.Config) != 0 {
			t.Errorf("%s: config %v, want none", s.Name, s.Config)
		}
	}
	if replayed != 1 {
		t.Errorf("%d replayed topics, want 1 (%s)", replayed, processedActions)
	}
}

func TestEnsureTopicsCreatesWithConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := newCluster(t)
	states, err := EnsureTopics(ctx, brokers, -1)
	if err != nil {
		t.Fatal(err)
	}
	// Created with its configs, not set afterwards.
	for _, s := range states {
		if !s.Created || s.Reconfigured {
			t.Errorf("fresh cluster: %+v", s)
		}
	}
	got := describeTopicConfigs(t, ctx, brokers, processedActions)
	if got["retention.ms"] != "-1" || got["retention.bytes"] != "-1" {
		t.Errorf("%s configs: retention.ms=%q retention.bytes=%q, want -1 and -1",
			processedActions, got["retention.ms"], got["retention.bytes"])
	}
	// A topic nobody replays keeps the broker's retention.
	if got := describeTopicConfigs(t, ctx, brokers, ProcessedDailyData); got["retention.ms"] == "-1" {
		t.Errorf("%s: retention.ms -1, want the broker's default", ProcessedDailyData)
	}
	if err := CheckTopics(ctx, brokers, TopicSpecs()); err != nil {
		t.Errorf("CheckTopics after creation: %v", err)
	}
}

// A cluster whose topic was created before its config was declared: the
// readiness check names the config, a role waits for `tickerlake topics`,
// and that sets the config in place.
func TestTopicConfigDiffersThenEnsured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := newCluster(t, kfake.SeedTopics(Partitions, Topics()...))

	err := CheckTopics(ctx, brokers, TopicSpecs())
	var te *TopicError
	if !errors.As(err, &te) || te.Topic != processedActions || te.Config != "retention.ms" || te.Missing() || !te.Repairable() {
		t.Fatalf("CheckTopics = %v, want %s's retention.ms named", err, processedActions)
	}
	want := `topic "processed-corporate-actions" has retention.ms=604800000, want -1`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not contain %q", err, want)
	}
	// A role waits for the topics Job rather than failing at once.
	if err := AwaitTopics(ctx, brokers, TopicSpecs(), 300*time.Millisecond, 50*time.Millisecond); !errors.As(err, &te) ||
		!strings.Contains(err.Error(), "not ready after") {
		t.Errorf("AwaitTopics = %v, want a timeout naming the config", err)
	}

	states, err := EnsureTopics(ctx, brokers, -1)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.Created || s.Reconfigured != (s.Name == processedActions) {
			t.Errorf("existing topics: %+v", s)
		}
	}
	if got := describeTopicConfigs(t, ctx, brokers, processedActions); got["retention.ms"] != "-1" || got["retention.bytes"] != "-1" {
		t.Errorf("after EnsureTopics: retention.ms=%q retention.bytes=%q, want -1 and -1", got["retention.ms"], got["retention.bytes"])
	}
	if err := CheckTopics(ctx, brokers, TopicSpecs()); err != nil {
		t.Errorf("CheckTopics after EnsureTopics: %v", err)
	}
}

// The embedded broker of `up` and `tickerlake broker` seeds its topics with
// their configs, so the roles' topic checks pass against it.
func TestStartBrokerSetsTopicConfigs(t *testing.T) {
	b, err := StartBroker("127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k := Cluster{Brokers: []string{b.Addr()}}
	if err := CheckTopics(ctx, k, TopicSpecs()); err != nil {
		t.Fatalf("CheckTopics on the embedded broker: %v", err)
	}
	if got := describeTopicConfigs(t, ctx, k, processedActions); got["retention.ms"] != "-1" {
		t.Errorf("%s: retention.ms=%q, want -1", processedActions, got["retention.ms"])
	}
}

// A broker restarted on its data directory starts, with its topics' configs
// in place, although it drops the first connections while it loads.
func TestStartBrokerAgainOnItsDataDir(t *testing.T) {
	dir := t.TempDir()
	b, err := StartBroker("127.0.0.1:0", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	b.Close()
	if b, err = StartBroker(addr, dir, nil); err != nil {
		t.Fatalf("restart on the data directory: %v", err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := CheckTopics(ctx, Cluster{Brokers: []string{addr}}, TopicSpecs()); err != nil {
		t.Fatalf("CheckTopics after the restart: %v", err)
	}
}

// The broker's own messages go to the process's logger: its chatter (the
// session state it saves on close) only at debug level, so `up` at the
// default level prints none of it.
func TestBrokerLogsThroughTheLogger(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		want  bool
	}{{slog.LevelInfo, false}, {slog.LevelDebug, true}} {
		var buf logbuf.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level}))
		b, err := StartBroker("127.0.0.1:0", t.TempDir(), log)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		out := buf.String()
		if got := strings.Contains(out, "component=broker") && strings.Contains(out, "saveSessionState"); got != tc.want {
			t.Errorf("at %s: broker chatter logged %v, want %v:\n%s", tc.level, got, tc.want, out)
		}
		if !strings.Contains(out, "broker listening") {
			t.Errorf("at %s: no start line:\n%s", tc.level, out)
		}
	}
}
