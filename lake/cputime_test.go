//go:build unix

package lake_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used, all goroutines and the
// runtime's own work (GC) included.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
