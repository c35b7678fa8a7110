package stream

// FetchMaxBytes is what NewReader's readers fetch at most, for the
// benchmarks of package stream_test.
const FetchMaxBytes = fetchMaxBytes
