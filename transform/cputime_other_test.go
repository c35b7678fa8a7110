//go:build !unix

package transform

// cpuSeconds is not measured here; benchmarks then report wall-clock figures only.
func cpuSeconds() float64 { return 0 }
