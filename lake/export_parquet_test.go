package lake

// EncodeFreshParquet is encodeFreshParquet, for the external benchmarks.
var EncodeFreshParquet = encodeFreshParquet
