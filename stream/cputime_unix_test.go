//go:build unix

package stream

import "syscall"

// CPUSeconds is the CPU time this process has used, user and system: on a
// shared machine the codec benchmarks report it beside the wall-clock
// figure, which other processes' load distorts. It is exported, in a test
// file only, for the benchmarks of package stream_test.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
