package ratelimit

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Limits are the credit limits of one key. A call costs one or more credits
// (Twelve Data charges one per symbol of a batch).
type Limits struct {
	// PerWindow is the most credits a key spends in any Window (default 8).
	PerWindow int
	// Window is the rolling window PerWindow applies to (default 1 minute).
	// A rolling window also keeps within providers that reset on the minute.
	Window time.Duration
	// PerDay is the most credits a key spends per day; 0 means no daily limit.
	PerDay int
	// Margin is added to Window before spent credits count as free again, so
	// a call that reaches the provider late still lands in a fresh window
	// (default 1s; negative for none).
	Margin time.Duration
	// DayZone is the zone whose midnight resets daily credits (default UTC).
	DayZone *time.Location
}

func (l Limits) withDefaults() Limits {
	if l.PerWindow <= 0 {
		l.PerWindow = 8
	}
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	if l.Margin == 0 {
		l.Margin = time.Second
	}
	if l.Margin < 0 {
		l.Margin = 0
	}
	if l.DayZone == nil {
		l.DayZone = time.UTC
	}
	return l
}

// span is how long spent credits keep counting.
func (l Limits) span() time.Duration { return l.Window + l.Margin }

// Key is one API key of a pool. It prints as its label (key1, key2, ...),
// never as the secret.
type Key struct {
	Index  int
	Label  string
	secret string
}

// Secret is the key itself, for the request only.
func (k Key) Secret() string { return k.secret }

// String implements fmt.Stringer without revealing the secret.
func (k Key) String() string { return k.Label }

// Grant is permission to spend Credits on Key at At.
type Grant struct {
	Key     Key
	At      time.Time
	Credits int
}

// DayExhaustedError says every key has spent its daily credits.
type DayExhaustedError struct {
	Reset time.Time // when the first key's credits return
}

func (e *DayExhaustedError) Error() string {
	return fmt.Sprintf("daily credits exhausted on every key until %s", e.Reset.UTC().Format(time.RFC3339))
}

// ErrNoKeys says every key was rejected by the provider.
var ErrNoKeys = errors.New("every API key was rejected")

type spend struct {
	at      time.Time
	credits int
}

type keyState struct {
	Key
	spends  []spend   // oldest first, only those that may still count
	day     time.Time // the day dayUsed counts
	dayUsed int
	until   time.Time // no calls before this: the provider said to wait
	dead    error     // the provider rejected the key
}

// Pool hands out credits over several keys within their limits. It is safe
// for concurrent use, though plans are most even with one caller taking.
type Pool struct {
	mu     sync.Mutex
	limits Limits
	keys   []*keyState
}

// NewPool returns a pool over secrets, all with the same limits.
func NewPool(limits Limits, secrets []string) (*Pool, error) {
	p := &Pool{limits: limits.withDefaults()}
	for i, s := range secrets {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("api key %d is empty", i+1)
		}
		p.keys = append(p.keys, &keyState{Key: Key{Index: i, Label: fmt.Sprintf("key%d", i+1), secret: s}})
	}
	if len(p.keys) == 0 {
		return nil, errors.New("no api keys")
	}
	return p, nil
}

// Limits returns the pool's limits with defaults applied.
func (p *Pool) Limits() Limits { return p.limits }

// Keys returns the pool's keys.
func (p *Pool) Keys() []Key {
	out := make([]Key, len(p.keys))
	for i, k := range p.keys {
		out[i] = k.Key
	}
	return out
}

func (p *Pool) dayOf(t time.Time) time.Time {
	y, m, d := t.In(p.limits.DayZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, p.limits.DayZone)
}

func (p *Pool) dayLeft(k *keyState, t time.Time) int {
	if p.limits.PerDay <= 0 {
		return p.limits.PerWindow
	}
	if !k.day.Equal(p.dayOf(t)) {
		return p.limits.PerDay
	}
	return p.limits.PerDay - k.dayUsed
}

// earliest is the first instant at or after now when k can spend credits.
func (p *Pool) earliest(k *keyState, now time.Time, credits int) time.Time {
	t := now
	if k.until.After(t) {
		t = k.until
	}
	span := p.limits.span()
	used := 0
	first := len(k.spends)
	for i, s := range k.spends {
		if s.at.After(t.Add(-span)) {
			if first == len(k.spends) {
				first = i
			}
			used += s.credits
		}
	}
	for i := first; used+credits > p.limits.PerWindow && i < len(k.spends); i++ {
		if free := k.spends[i].at.Add(span); free.After(t) {
			t = free
		}
		used -= k.spends[i].credits
	}
	return t
}

// Take reserves up to want credits on the key that can spend them soonest
// and records them as spent at the grant's instant; the caller waits until
// then and makes its call. Fewer credits than wanted are granted when a
// key's window or day has fewer left. It fails with *DayExhaustedError when
// no key has daily credits left now, and ErrNoKeys when none is usable.
func (p *Pool) Take(now time.Time, want int) (Grant, error) {
	return p.grant(now, want, true)
}

// Peek is Take without reserving anything: what Take would grant at now.
func (p *Pool) Peek(now time.Time, want int) (Grant, error) {
	return p.grant(now, want, false)
}

func (p *Pool) grant(now time.Time, want int, reserve bool) (Grant, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if want < 1 {
		want = 1
	}
	var best *keyState
	var bestAt time.Time
	bestCredits, live := 0, 0
	for _, k := range p.keys {
		if k.dead != nil {
			continue
		}
		live++
		c := min(want, p.limits.PerWindow, p.dayLeft(k, now))
		if c <= 0 {
			continue
		}
		at := p.earliest(k, now, c)
		if best == nil || at.Before(bestAt) || (at.Equal(bestAt) && c > bestCredits) {
			best, bestAt, bestCredits = k, at, c
		}
	}
	if live == 0 {
		return Grant{}, ErrNoKeys
	}
	if best == nil {
		return Grant{}, &DayExhaustedError{Reset: p.dayOf(now).AddDate(0, 0, 1)}
	}
	if reserve {
		p.spend(best, bestAt, bestCredits)
	}
	return Grant{Key: best.Key, At: bestAt, Credits: bestCredits}, nil
}

func (p *Pool) spend(k *keyState, at time.Time, credits int) {
	if d := p.dayOf(at); !k.day.Equal(d) {
		k.day, k.dayUsed = d, 0
	}
	k.dayUsed += credits
	// Forget spends that can no longer count against anything.
	cut := at.Add(-p.limits.span())
	i := sort.Search(len(k.spends), func(i int) bool { return k.spends[i].at.After(cut) })
	k.spends = append(k.spends[i:], spend{at: at, credits: credits})
}

// Throttled records that the provider refused a call on k at now for its
// per-window limit: k is not used again until a whole window has passed.
func (p *Pool) Throttled(k Key, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ks := p.keys[k.Index]
	if until := now.Add(p.limits.span()); until.After(ks.until) {
		ks.until = until
	}
}

// Exhausted records that the provider says k has no daily credits left.
func (p *Pool) Exhausted(k Key, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ks := p.keys[k.Index]
	ks.day = p.dayOf(now)
	if p.limits.PerDay > 0 {
		ks.dayUsed = p.limits.PerDay
	} else {
		ks.until = ks.day.AddDate(0, 0, 1)
	}
}

// Disable stops using k: the provider rejected it.
func (p *Pool) Disable(k Key, cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[k.Index].dead = cause
}

// Observe reconciles k with the credits the provider reports left in its
// current window; when another client spent them, k waits a window.
func (p *Pool) Observe(k Key, now time.Time, left int) {
	if left <= 0 {
		p.Throttled(k, now)
	}
}

// DayLeft is the daily credits left over the usable keys at now, or -1
// without a daily limit.
func (p *Pool) DayLeft(now time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limits.PerDay <= 0 {
		return -1
	}
	n := 0
	for _, k := range p.keys {
		if k.dead == nil {
			n += p.dayLeft(k, now)
		}
	}
	return n
}

// KeyDayLeft is key k's daily credits left at now: 0 once the provider
// rejected it, -1 without a daily limit.
func (p *Pool) KeyDayLeft(k Key, now time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limits.PerDay <= 0 {
		return -1
	}
	ks := p.keys[k.Index]
	if ks.dead != nil {
		return 0
	}
	return p.dayLeft(ks, now)
}

// Clone returns an independent copy, for planning ahead.
func (p *Pool) Clone() *Pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := &Pool{limits: p.limits}
	for _, k := range p.keys {
		kc := *k
		kc.spends = append([]spend(nil), k.spends...)
		c.keys = append(c.keys, &kc)
	}
	return c
}

// Finish estimates when calls costing the given credits, each at most
// batch, would be done if started at now: the ETA of a collection. ok is
// false when the daily credits run out first.
func (p *Pool) Finish(now time.Time, credits, batch int) (done time.Time, ok bool) {
	sim := p.Clone()
	done = now
	for credits > 0 {
		g, err := sim.Take(now, min(batch, credits))
		if err != nil {
			return done, false
		}
		if g.At.After(now) {
			now = g.At
		}
		done = now
		credits -= g.Credits
	}
	return done, true
}
