//go:build unix

package laketest

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime is the CPU time the process has used, user and system, all
// goroutines, DuckDB's threads and the runtime's own work included: on a
// shared machine the CPU a query costs is steadier than its wall time.
func CPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
