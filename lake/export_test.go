package lake

// EncodeCSV is encodeCSV, for the external benchmarks.
var EncodeCSV = encodeCSV
