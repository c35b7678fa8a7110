// Package freelist keeps a bounded number of costly values (compression
// encoders, say) for reuse. Unlike a sync.Pool, which garbage collection
// empties, what it holds stays until taken.
package freelist

import "sync"

// List holds up to Max values; its zero value holds none until Max is set.
// It is safe for concurrent use.
type List[T any] struct {
	Max int

	mu    sync.Mutex
	items []T
}

// Get takes the most recently put value; ok is false when the list is empty.
func (l *List[T]) Get() (v T, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.items)
	if n == 0 {
		return v, false
	}
	v = l.items[n-1]
	var zero T
	l.items[n-1] = zero
	l.items = l.items[:n-1]
	return v, true
}

// Put keeps v for a later Get, unless the list already holds Max values:
// then it reports false and the caller disposes of v.
func (l *List[T]) Put(v T) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.items) >= l.Max {
		return false
	}
	l.items = append(l.items, v)
	return true
}

// Len is how many values the list holds.
func (l *List[T]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.items)
}
