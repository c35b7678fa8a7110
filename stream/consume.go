package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// ErrAbandoned wraps the error of a batch that failed after the consumer
// was asked to stop: its offsets stay uncommitted, so it is delivered again.
var ErrAbandoned = errors.New("batch abandoned uncommitted")

// Consume configures one fetch, handle, commit loop.
type Consume struct {
	// Name says what the topics carry ("raw", "processed"), for errors.
	Name string
	// BatchSize and BatchWindow bound one batch (FetchBatch).
	BatchSize   int
	BatchWindow time.Duration
	// Drain bounds how long a batch in hand may still take once ctx ends;
	// zero finishes it however long it takes.
	Drain time.Duration
}

// Run fetches batches from r until ctx ends, hands each to handle and then
// commits its offsets, so a batch is committed only after handle returned
// nil. A batch already fetched is finished when ctx ends (see Drain); a
// fetch error after part of a batch arrived is returned once that part is
// committed. Fetches and commits ride out a broker outage (FetchMessage,
// CommitMessages).
func (c Consume) Run(ctx context.Context, r *kafka.Reader, handle func(ctx context.Context, batch []kafka.Message) error) error {
	for {
		batch, err := FetchBatch(ctx, r, c.BatchSize, c.BatchWindow)
		if len(batch) == 0 {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fetch %s: %w", c.Name, err)
		}
		if herr := c.finish(ctx, r, batch, handle); herr != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w: %w", ErrAbandoned, herr)
			}
			return herr
		}
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("fetch %s: %w", c.Name, err)
		}
	}
}

// finish handles and commits one batch under a context that outlives ctx
// by at most Drain.
func (c Consume) finish(ctx context.Context, r *kafka.Reader, batch []kafka.Message, handle func(context.Context, []kafka.Message) error) error {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	if c.Drain > 0 {
		stop := context.AfterFunc(ctx, func() {
			t := time.NewTimer(c.Drain)
			defer t.Stop()
			select {
			case <-t.C:
				cancel()
			case <-wctx.Done(): // the batch finished
			}
		})
		defer stop()
	}
	if err := handle(wctx, batch); err != nil {
		return err
	}
	if err := CommitMessages(wctx, r, batch...); err != nil {
		return fmt.Errorf("commit %s offsets: %w", c.Name, err)
	}
	return nil
}
