package workers

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestEachVisitsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 1000} {
		seen := make([]atomic.Int32, n)
		if err := Each(n, func(i int) error {
			seen[i].Add(1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, c)
			}
		}
	}
}

func TestEachStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	var after atomic.Int32
	var failed atomic.Bool
	err := Each(10000, func(i int) error {
		if failed.Load() {
			after.Add(1)
		}
		if i == 10 {
			failed.Store(true)
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	// Items already taken when the error came may still run, one a
	// worker; no more are handed out.
	if a := after.Load(); a > 64 {
		t.Fatalf("%d items ran after the error", a)
	}
}

func TestRunKeepsWorkerState(t *testing.T) {
	var total atomic.Int64
	if err := Run(100, func(take func() (int, bool)) error {
		sum := 0 // this worker's own
		for i, ok := take(); ok; i, ok = take() {
			sum += i
		}
		total.Add(int64(sum))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := total.Load(); got != 4950 {
		t.Fatalf("sum of indexes = %d, want 4950", got)
	}
}
