package sink

import "errors"

// RejectedError marks a write the store refused because of the data itself
// (a constraint, a type conflict): sending the same rows again cannot help.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string { return "rejected: " + e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// TransientError marks a write that may succeed if tried again (a lost
// connection, a deadlock, an overloaded server).
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return "transient: " + e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// Rejected wraps err as a RejectedError.
func Rejected(err error) error { return &RejectedError{Err: err} }

// Transient wraps err as a TransientError.
func Transient(err error) error { return &TransientError{Err: err} }

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
