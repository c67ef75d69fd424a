package webhooks

import (
	"errors"
	"fmt"
)

// sentinels are this package's sentinel errors, each of which an error of
// this package matches alone.
var sentinels = []error{
	ErrInvalidSecret, ErrInvalidOption, ErrMissingHeader, ErrInvalidHeader, ErrInvalidSignature,
	ErrTimestampTooOld, ErrTimestampTooNew, ErrInvalidPayload,
	ErrMethodNotAllowed, ErrBodyTooLarge, ErrBodyUnreadable, ErrInProgress, ErrCallbackFailed,
	ErrStoreUnavailable, ErrStoreFull, ErrLeaseLost, ErrQueueUnavailable,
}

// foreignError is an error of the code a Handler calls (a callback, a store,
// a queue) inside an error of the Handler's: errors.Is and errors.As see
// through it to that code's errors, except to this package's sentinels,
// which would otherwise make the Handler's error match two (a callback that
// returns an ErrInvalidPayload of its own still failed, and a store that
// answers Claim with ErrLeaseLost is still unavailable).
type foreignError struct{ err error }

// foreign returns err as a foreignError, or nil.
func foreign(err error) error {
	if err == nil {
		return nil
	}
	return foreignError{err}
}

func (e foreignError) Error() string { return e.err.Error() }

// Is reports whether the foreign error matches target, unless target is one
// of this package's sentinels.
func (e foreignError) Is(target error) bool {
	for _, s := range sentinels {
		if target == s {
			return false
		}
	}
	return errors.Is(e.err, target)
}

// As finds the first error in the foreign error's chain that matches
// target, as errors.As does.
func (e foreignError) As(target any) bool { return errors.As(e.err, target) }

// recovered calls f, turning a panic into an error, so that a store or a
// queue that panics on a goroutine of the Handler's fails the delivery
// rather than ending the process.
func recovered(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", what, p)
		}
	}()
	return f()
}
