//go:build !unix

package stream

// CPUSeconds is 0 where getrusage is missing: the benchmarks then report
// no CPU time.
func CPUSeconds() float64 { return 0 }
