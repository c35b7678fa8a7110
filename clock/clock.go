// Package clock is tickerlake's one source of time: the system clock in
// production and a manual clock in tests, injected wherever time is read.
//
// The rule: every instant that is stored, compared or answered (a commit's
// CommittedAt, a retention cut-off, a default date range, a rate limit's
// window) comes from an injected Clock. Only the elapsed time of a piece of
// work measured for a metric or a log line (start := time.Now(), then
// time.Since(start)) and network waits inside the Kafka client loops use the
// time package directly: they measure how long, never when.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits on it. Sleep returns early with ctx's error
// when ctx ends.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// System is the real clock.
type System struct{}

// Now implements Clock.
func (System) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (System) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Or is c, or the system clock when c is nil: the default of every struct
// that takes a Clock.
func Or(c Clock) Clock {
	if c == nil {
		return System{}
	}
	return c
}

// Manual is a clock that moves only when told to or when slept on: Sleep
// advances it by the duration at once. It lets tests run hours of rate
// limiting in microseconds; it is meant for a single sleeping goroutine.
type Manual struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

// NewManual returns a manual clock set to start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now implements Clock.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Sleep implements Clock.
func (m *Manual) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.Advance(d)
	m.mu.Lock()
	if d > 0 {
		m.slept += d
	}
	m.mu.Unlock()
	return nil
}

// Advance moves the clock forward by d (a negative d is ignored).
func (m *Manual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

// Set moves the clock to t, forward or back.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.mu.Unlock()
}

// Slept is the total time slept on the clock.
func (m *Manual) Slept() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.slept
}
