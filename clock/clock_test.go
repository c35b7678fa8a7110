package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)

func TestManualSleepAdvances(t *testing.T) {
	c := NewManual(t0)
	if err := c.Sleep(t.Context(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := c.Now().Sub(t0); got != time.Hour || c.Slept() != time.Hour {
		t.Errorf("after sleeping an hour: %v, slept %v", got, c.Slept())
	}
	c.Set(t0)
	if !c.Now().Equal(t0) {
		t.Errorf("Set: %v", c.Now())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || !c.Now().Equal(t0) {
		t.Errorf("sleep on an ended context: %v, now %v", err, c.Now())
	}
}

func TestOrDefaultsToTheSystemClock(t *testing.T) {
	if _, ok := Or(nil).(System); !ok {
		t.Errorf("Or(nil) = %T", Or(nil))
	}
	m := NewManual(t0)
	if Or(m) != Clock(m) {
		t.Error("Or(m) is not m")
	}
}
