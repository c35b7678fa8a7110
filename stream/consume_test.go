package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// runAheadFixture is a one-partition topic holding n messages and a
// reader of group "g" on it.
func runAheadFixture(t *testing.T, ctx context.Context, n int) (Cluster, *kafka.Reader) {
	t.Helper()
	const topic = "raw-test"
	k := newCluster(t, kfake.SeedTopics(1, topic))
	w := NewWriter(k, topic)
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte("k"), Value: []byte(fmt.Sprint(i))}
	}
	if err := WriteMessages(ctx, w, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(ReaderConfig{Kafka: k, Group: "g", Topics: []string{topic}})
	t.Cleanup(func() { r.Close() })
	return k, r
}

// committedOffset is group g's committed offset on the fixture's
// partition: one past the last message committed, -1 for none. It returns
// an error rather than failing the test, for use inside a Finish.
func committedOffset(ctx context.Context, k Cluster) (int64, error) {
	c := &kafka.Client{Addr: kafka.TCP(k.Brokers...)}
	res, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: "g", Topics: map[string][]int{"raw-test": {0}}})
	if err != nil {
		return 0, err
	}
	ps := res.Topics["raw-test"]
	if len(ps) != 1 || ps[0].Error != nil {
		return 0, fmt.Errorf("offset fetch: %+v", ps)
	}
	return ps[0].CommittedOffset, nil
}

func mustCommittedOffset(t *testing.T, ctx context.Context, k Cluster) int64 {
	t.Helper()
	off, err := committedOffset(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// runAheadRecorder prepares batches and records what RunAhead does with
// them; finish, when set, decides each batch's Finish (batches counted
// from 1).
type runAheadRecorder struct {
	mu       sync.Mutex
	prepared []int64 // last offset of each prepared batch
	finished []int   // batch numbers whose Finish ran
	second   chan struct{}
	finish   func(ctx context.Context, n int) error
	fail     func(n int) error // prepare's error for batch n
}

func newRunAheadRecorder() *runAheadRecorder {
	return &runAheadRecorder{second: make(chan struct{})}
}

func (rec *runAheadRecorder) prepare(_ context.Context, batch []kafka.Message) (Finish, error) {
	rec.mu.Lock()
	rec.prepared = append(rec.prepared, batch[len(batch)-1].Offset)
	n := len(rec.prepared)
	rec.mu.Unlock()
	if n == 2 {
		close(rec.second)
	}
	if rec.fail != nil {
		if err := rec.fail(n); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context) error {
		rec.mu.Lock()
		rec.finished = append(rec.finished, n)
		rec.mu.Unlock()
		return rec.finish(ctx, n)
	}, nil
}

// TestRunAheadCommitsNothingPastAFailedFinish holds the first batch's
// Finish (its produce acks) until the second batch is prepared, then
// fails the second batch's Finish: the committed offset stays one past
// the first batch, no later Finish runs, and the failure is returned.
func TestRunAheadCommitsNothingPastAFailedFinish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	k, r := runAheadFixture(t, ctx, 30)
	errProduce := errors.New("produce failed")
	rec := newRunAheadRecorder()
	var atFirstFinish int64
	rec.finish = func(ctx context.Context, n int) error {
		switch n {
		case 1:
			// The next batch is prepared while this one's acks are
			// outstanding, and nothing is committed before they arrive.
			select {
			case <-rec.second:
			case <-ctx.Done():
				return fmt.Errorf("second batch never prepared while the first was finishing: %w", ctx.Err())
			}
			var err error
			atFirstFinish, err = committedOffset(ctx, k)
			return err
		case 2:
			return errProduce
		}
		return fmt.Errorf("finish of batch %d ran after batch 2 failed", n)
	}
	err := Consume{Name: "test", BatchSize: 10, BatchWindow: 200 * time.Millisecond}.RunAhead(ctx, r, rec.prepare)
	if !errors.Is(err, errProduce) {
		t.Fatalf("RunAhead returned %v, want %v", err, errProduce)
	}
	if atFirstFinish != -1 {
		t.Errorf("committed offset %d before the first batch was acknowledged, want none (-1)", atFirstFinish)
	}
	if want, got := rec.prepared[0]+1, mustCommittedOffset(t, ctx, k); got != want {
		t.Errorf("committed offset %d after the second batch failed, want %d (one past the first batch, prepared %v)", got, want, rec.prepared)
	}
	if len(rec.finished) != 2 || rec.finished[0] != 1 || rec.finished[1] != 2 {
		t.Errorf("finishes ran for batches %v, want [1 2]", rec.finished)
	}
}

// TestRunAheadFinishesEarlierBatchesWhenPrepareFails fails the second
// batch's preparation while the first is finishing: the first is still
// finished and committed, and the error is returned.
func TestRunAheadFinishesEarlierBatchesWhenPrepareFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	k, r := runAheadFixture(t, ctx, 30)
	errProcess := errors.New("process failed")
	rec := newRunAheadRecorder()
	rec.fail = func(n int) error {
		if n == 2 {
			return errProcess
		}
		return nil
	}
	rec.finish = func(ctx context.Context, n int) error {
		if n != 1 {
			return fmt.Errorf("finish of batch %d ran", n)
		}
		select { // still finishing when the next batch fails
		case <-rec.second:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	err := Consume{Name: "test", BatchSize: 10, BatchWindow: 200 * time.Millisecond}.RunAhead(ctx, r, rec.prepare)
	if !errors.Is(err, errProcess) {
		t.Fatalf("RunAhead returned %v, want %v", err, errProcess)
	}
	if want, got := rec.prepared[0]+1, mustCommittedOffset(t, ctx, k); got != want {
		t.Errorf("committed offset %d, want %d (one past the first batch)", got, want)
	}
}

// TestRunAheadCommitsEverythingInOrder runs RunAhead over 30 messages in
// batches of at most 7 until all are committed, checking at each Finish
// that the committed offset is exactly one past the batch before.
func TestRunAheadCommitsEverythingInOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	k, r := runAheadFixture(t, ctx, 30)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	rec := newRunAheadRecorder()
	rec.finish = func(ctx context.Context, n int) error {
		rec.mu.Lock()
		want := int64(-1)
		if n > 1 {
			want = rec.prepared[n-2] + 1
		}
		last := rec.prepared[n-1]
		rec.mu.Unlock()
		got, err := committedOffset(ctx, k)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("batch %d finishing with committed offset %d, want %d", n, got, want)
		}
		if last == 29 {
			stop() // every message fetched; RunAhead commits this one and returns
		}
		return nil
	}
	if err := (Consume{Name: "test", BatchSize: 7, BatchWindow: 200 * time.Millisecond}).RunAhead(rctx, r, rec.prepare); err != nil {
		t.Fatal(err)
	}
	if got := mustCommittedOffset(t, ctx, k); got != 30 {
		t.Errorf("committed offset %d at the end, want 30", got)
	}
}
