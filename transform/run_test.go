package transform

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// TestRunPublishesWhatProcessGives runs a processor on a real broker over a
// snapshot of option chains, in batches small enough that the buffers of
// one batch's published values are reused by the batches after it, and
// checks that the processed topics hold, value for value, what Process
// gives for the same raw messages: no value is overwritten before the
// producer is done with it.
func TestRunPublishesWhatProcessGives(t *testing.T) {
	values, snapshot := benchSnapshot(t)
	values = values[:120]
	ctx, k := testBroker(t)
	newCleaner := func() *Cleaner {
		return &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)), EuropeanIV: true}
	}
	raw := make([]kafka.Message, len(values))
	for i, v := range values {
		raw[i] = kafka.Message{Topic: stream.OptionData, Key: []byte{byte('A' + i%7)}, Value: v, Headers: stream.Headers(stream.HeaderSnapshot, snapshot)}
	}
	// What each processed topic should hold, as a count of each value.
	want := map[string]int{}
	ref := &Processor{Cleaner: newCleaner(), Metrics: metrics.New()}
	for _, m := range raw {
		out, err := ref.Process(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out {
			if o.Topic != stream.DeadLetter {
				want[o.Topic+"\x00"+string(o.Value)]++
			}
		}
	}
	w := stream.NewWriter(k, "")
	if err := stream.WriteMessages(ctx, w, raw...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		p := &Processor{Cleaner: newCleaner(), Kafka: k, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(),
			BatchSize: 8, BatchWindow: time.Millisecond}
		done <- p.Run(pctx)
	}()
	defer func() {
		stop()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}()
	r := stream.NewReader(stream.ReaderConfig{Kafka: k, Group: "check", Topics: stream.ProcessedTopics()})
	defer r.Close()
	total := 0
	for _, c := range want {
		total += c
	}
	got := map[string]int{}
	for range total {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("after %d of %d processed messages: %v", len(got), total, err)
		}
		got[m.Topic+"\x00"+string(m.Value)]++
	}
	wrong := 0
	for k, c := range want {
		if got[k] != c {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d distinct processed values published other than Process gives them", wrong, len(want))
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct processed values published, want %d", len(got), len(want))
	}
}
