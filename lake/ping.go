package lake

import (
	"context"
	"errors"
	"fmt"
)

// pingKey is never written: reading it costs one request and proves the
// store answers, however large the lake.
const pingKey = "_ops/ping"

// Ping checks that store answers a read, as a readiness probe does.
func Ping(ctx context.Context, store Store) error {
	if _, err := store.Get(ctx, pingKey); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("lake %s: %w", store, err)
	}
	return nil
}
