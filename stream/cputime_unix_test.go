//go:build unix

package stream_test

import "syscall"

// cpuSeconds is the CPU time this process has used, user and system: on a
// shared machine the codec benchmarks report it beside the wall-clock
// figure, which other processes' load distorts.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
