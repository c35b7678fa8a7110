package sink

import (
	"errors"
	"time"
)

// RejectedError marks a write the store refused because of the data itself
// (a constraint, a type conflict): sending the same rows again cannot help.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string { return "rejected: " + e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// TransientError marks a write that may succeed if tried again (a lost
// connection, a deadlock, an overloaded server).
type TransientError struct {
	Err error
	// After, when set, is how long the server asked to be left alone
	// (HTTP Retry-After); the consumer waits at least that long.
	After time.Duration
}

func (e *TransientError) Error() string { return "transient: " + e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// Rejected wraps err as a RejectedError.
func Rejected(err error) error { return &RejectedError{Err: err} }

// Transient wraps err as a TransientError.
func Transient(err error) error { return &TransientError{Err: err} }

// TransientAfter wraps err as a TransientError to retry no sooner than after.
func TransientAfter(err error, after time.Duration) error {
	return &TransientError{Err: err, After: after}
}

// retryAfter is the wait a transient error asks for, or 0.
func retryAfter(err error) time.Duration {
	var t *TransientError
	if errors.As(err, &t) {
		return t.After
	}
	return 0
}

// IsRejected reports whether err is or wraps a RejectedError.
func IsRejected(err error) bool {
	var r *RejectedError
	return errors.As(err, &r)
}

// IsTransient reports whether err is or wraps a TransientError.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}
