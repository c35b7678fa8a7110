// Package workers hands the indexes of a slice of items to a few
// goroutines in turn: one per scheduler slot rather than one per item,
// whose start (and stack growth) costs more than a short item takes.
package workers

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Run starts min(GOMAXPROCS, n) workers and waits for them. Each worker
// calls take for the next index of [0, n) until take says there is none;
// once a worker returns an error take says so to every worker, and Run
// returns the first error. A worker may keep state across its items.
func Run(n int, work func(take func() (int, bool)) error) error {
	var next, failed atomic.Int64
	take := func() (int, bool) {
		if failed.Load() != 0 {
			return 0, false
		}
		i := int(next.Add(1) - 1)
		return i, i < n
	}
	var g errgroup.Group
	for range min(runtime.GOMAXPROCS(0), n) {
		g.Go(func() error {
			err := work(take)
			if err != nil {
				failed.Store(1)
			}
			return err
		})
	}
	return g.Wait()
}

// Each calls do for every index of [0, n) on Run's workers.
func Each(n int, do func(i int) error) error {
	return Run(n, func(take func() (int, bool)) error {
		for i, ok := take(); ok; i, ok = take() {
			if err := do(i); err != nil {
				return err
			}
		}
		return nil
	})
}
