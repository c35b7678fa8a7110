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
	wctx, cancel := c.drainContext(ctx)
	defer cancel()
	if err := handle(wctx, batch); err != nil {
		return err
	}
	if err := CommitMessages(wctx, r, batch...); err != nil {
		return fmt.Errorf("commit %s offsets: %w", c.Name, err)
	}
	return nil
}

// Finish is the second step of a batch's handling under RunAhead: it waits
// on what the first step started or does the I/O (a produce and its acks);
// the batch's offsets are committed once it returns nil.
type Finish func(ctx context.Context) error

// RunAhead is Run with each batch's handling split in two, so that the
// cores work on the next batch while the previous one waits on the
// brokers: prepare (the CPU work, in fetch order) runs for batch N+1 while
// batch N's Finish and offset commit are outstanding. Finishes run one at
// a time in fetch order, and a batch's offsets are committed only after
// its own Finish and every earlier batch's Finish and commit succeeded, so
// a commit never covers a batch not finished. At most two batches are in
// hand: one finishing, one prepared or being prepared. When a Finish or
// commit fails, no later batch is finished or committed and the error is
// returned; when prepare fails, the batches before it are finished and
// committed first. When ctx ends both batches in hand are finished, within
// Drain of its end.
func (c Consume) RunAhead(ctx context.Context, r *kafka.Reader, prepare func(ctx context.Context, batch []kafka.Message) (Finish, error)) error {
	wctx, cancel := c.drainContext(ctx)
	defer cancel()
	// Fetching stops when ctx ends or a finish fails.
	fctx, stopFetch := context.WithCancel(ctx)
	defer stopFetch()

	type prepared struct {
		batch  []kafka.Message
		finish Finish
	}
	// Unbuffered: the next batch is handed over only once the one before
	// it is finished, which bounds the batches in hand to two.
	ready := make(chan prepared)
	failed := make(chan struct{}) // closed when a finish or commit fails
	finished := make(chan error, 1)
	go func() {
		for p := range ready {
			err := p.finish(wctx)
			if err == nil {
				if err = CommitMessages(wctx, r, p.batch...); err != nil {
					err = fmt.Errorf("commit %s offsets: %w", c.Name, err)
				}
			}
			if err != nil {
				close(failed)
				stopFetch()
				cancel()
				finished <- err
				return
			}
		}
		finished <- nil
	}()

	var herr, ferr error
loop:
	for {
		batch, err := FetchBatch(fctx, r, c.BatchSize, c.BatchWindow)
		if len(batch) == 0 {
			if fctx.Err() == nil {
				ferr = fmt.Errorf("fetch %s: %w", c.Name, err)
			}
			break
		}
		fin, perr := prepare(wctx, batch)
		if perr != nil {
			herr = perr
			break
		}
		select {
		case ready <- prepared{batch, fin}:
		case <-failed:
			break loop
		}
		if err != nil && fctx.Err() == nil {
			ferr = fmt.Errorf("fetch %s: %w", c.Name, err)
			break
		}
	}
	close(ready)
	if serr := <-finished; serr != nil {
		herr = serr // the earlier batch's failure comes first
	}
	if herr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ErrAbandoned, herr)
		}
		return herr
	}
	return ferr
}

// drainContext returns a context that outlives ctx by at most Drain (for
// ever when Drain is zero), for the work on batches already in hand.
func (c Consume) drainContext(ctx context.Context) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if c.Drain <= 0 {
		return wctx, cancel
	}
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(c.Drain)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-wctx.Done():
		}
	})
	return wctx, func() { stop(); cancel() }
}
