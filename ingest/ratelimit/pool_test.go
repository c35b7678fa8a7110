package ratelimit

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)

func secrets(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = "secret-" + string(rune('a'+i))
	}
	return s
}

// maxInWindow is the most credits one key spent in any window of length w.
func maxInWindow(grants []Grant, key int, w time.Duration) int {
	most := 0
	for _, a := range grants {
		if a.Key.Index != key {
			continue
		}
		n := 0
		for _, b := range grants {
			if b.Key.Index == key && !b.At.Before(a.At) && b.At.Sub(a.At) < w {
				n += b.Credits
			}
		}
		most = max(most, n)
	}
	return most
}

func TestTakePlansWithinLimits(t *testing.T) {
	tests := []struct {
		name     string
		keys     int
		credits  int // total to spend
		batch    int
		limits   Limits
		wantLast time.Duration // when the last grant starts
		wantN    int           // grants
	}{
		{"120 symbols over 5 keys", 5, 120, 8, Limits{}, 2 * (time.Minute + time.Second), 15},
		{"one key, exact minute", 1, 8, 8, Limits{}, 0, 1},
		{"one key, one credit per call", 1, 17, 1, Limits{}, 2 * (time.Minute + time.Second), 17},
		{"no margin", 2, 48, 8, Limits{Margin: -1}, 2 * time.Minute, 6},
		{"batch above window", 1, 16, 20, Limits{PerWindow: 8}, time.Minute + time.Second, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPool(tc.limits, secrets(tc.keys))
			if err != nil {
				t.Fatal(err)
			}
			now := t0
			var grants []Grant
			for left := tc.credits; left > 0; {
				g, err := p.Take(now, min(tc.batch, left))
				if err != nil {
					t.Fatal(err)
				}
				if g.At.Before(now) {
					t.Fatalf("grant at %v before now %v", g.At, now)
				}
				now = g.At
				left -= g.Credits
				grants = append(grants, g)
			}
			if got := now.Sub(t0); got != tc.wantLast {
				t.Errorf("last grant after %v, want %v", got, tc.wantLast)
			}
			if len(grants) != tc.wantN {
				t.Errorf("%d grants, want %d", len(grants), tc.wantN)
			}
			for k := 0; k < tc.keys; k++ {
				if n := maxInWindow(grants, k, time.Minute); n > p.Limits().PerWindow {
					t.Errorf("key %d spent %d credits in one minute", k, n)
				}
			}
		})
	}
}

func TestDayExhaustion(t *testing.T) {
	p, err := NewPool(Limits{PerDay: 10}, secrets(2))
	if err != nil {
		t.Fatal(err)
	}
	now, spent := t0, 0
	for {
		g, err := p.Take(now, 8)
		var ex *DayExhaustedError
		if errors.As(err, &ex) {
			if want := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC); !ex.Reset.Equal(want) {
				t.Errorf("reset %v, want %v", ex.Reset, want)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		now = g.At
		spent += g.Credits
	}
	if spent != 20 {
		t.Errorf("spent %d, want 20", spent)
	}
	if n := p.DayLeft(now); n != 0 {
		t.Errorf("DayLeft %d, want 0", n)
	}
	next := time.Date(2026, 11, 25, 0, 0, 1, 0, time.UTC)
	if n := p.DayLeft(next); n != 20 {
		t.Errorf("DayLeft after midnight %d, want 20", n)
	}
	if _, err := p.Take(next, 8); err != nil {
		t.Errorf("after midnight: %v", err)
	}
}

func TestProviderFeedback(t *testing.T) {
	tests := []struct {
		name   string
		apply  func(p *Pool, k Key)
		wantAt time.Duration // of the next grant on key1 alone
		err    error
	}{
		{"throttled waits a window", func(p *Pool, k Key) { p.Throttled(k, t0) }, time.Minute + time.Second, nil},
		{"credits left zero waits a window", func(p *Pool, k Key) { p.Observe(k, t0, 0) }, time.Minute + time.Second, nil},
		{"credits left waits nothing", func(p *Pool, k Key) { p.Observe(k, t0, 3) }, 0, nil},
		{"disabled", func(p *Pool, k Key) { p.Disable(k, errors.New("401")) }, 0, ErrNoKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPool(Limits{}, secrets(1))
			if err != nil {
				t.Fatal(err)
			}
			tc.apply(p, p.Keys()[0])
			g, err := p.Take(t0, 1)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err == nil && g.At.Sub(t0) != tc.wantAt {
				t.Errorf("next grant after %v, want %v", g.At.Sub(t0), tc.wantAt)
			}
		})
	}
	p, _ := NewPool(Limits{PerDay: 800}, secrets(2))
	p.Exhausted(p.Keys()[0], t0)
	if n := p.DayLeft(t0); n != 800 {
		t.Errorf("DayLeft after one key exhausted: %d, want 800", n)
	}
}

func TestFinishEstimates(t *testing.T) {
	p, _ := NewPool(Limits{PerDay: 800}, secrets(5))
	done, ok := p.Finish(t0, 120, 8)
	if !ok || done.Sub(t0) != 2*(time.Minute+time.Second) {
		t.Errorf("Finish = %v, %v; want 2m2s, true", done.Sub(t0), ok)
	}
	if _, ok := p.Finish(t0, 5000, 8); ok {
		t.Error("Finish beyond the daily credits reported ok")
	}
	if _, err := p.Take(t0, 8); err != nil {
		t.Fatal(err)
	}
	if n := p.DayLeft(t0); n != 4000-8 {
		t.Errorf("Finish spent the pool's own credits: DayLeft %d", n)
	}
}

func TestKeyNeverPrintsSecret(t *testing.T) {
	p, _ := NewPool(Limits{}, []string{"topsecret"})
	k := p.Keys()[0]
	if s := k.String(); s != "key1" {
		t.Errorf("String() = %q", s)
	}
	if k.Secret() != "topsecret" {
		t.Error("secret lost")
	}
	if _, err := NewPool(Limits{}, []string{"a", " "}); err == nil {
		t.Error("empty key accepted")
	}
}
