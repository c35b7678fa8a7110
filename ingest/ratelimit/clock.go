// Package ratelimit plans provider calls within their credit limits: a pool
// of API keys, each allowed so many credits per rolling window and per day,
// driven by an injected clock so plans are testable without waiting.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Clock is the time source of a limiter. Sleep returns early with ctx's
// error when ctx ends.
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

// Slept is the total time slept on the clock.
func (m *Manual) Slept() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.slept
}
