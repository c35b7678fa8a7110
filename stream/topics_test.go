package stream

import (
	"slices"
	"testing"
)

// The named topics are the registry's, and the full list keeps the seed's
// order (the generated KafkaTopics follow it).
func TestTopicsFollowRegistry(t *testing.T) {
	want := []string{TaskQueue, DailyData, IntradayData, HistoricalData, OptionData, "corporate-actions",
		ProcessedDailyData, ProcessedIntradayData, ProcessedHistoricalData, ProcessedOptionData, ProcessedIVSmile,
		"processed-corporate-actions", DeadLetter}
	if got := Topics(); !slices.Equal(got, want) {
		t.Errorf("Topics() = %v, want %v", got, want)
	}
	for raw, processed := range map[string]string{DailyData: ProcessedDailyData, IntradayData: ProcessedIntradayData,
		HistoricalData: ProcessedHistoricalData, OptionData: ProcessedOptionData} {
		got, err := ProcessedFor(raw)
		if err != nil || got != processed {
			t.Errorf("ProcessedFor(%s) = %q, %v; want %s", raw, got, err, processed)
		}
	}
	if _, err := ProcessedFor(TaskQueue); err == nil {
		t.Error("ProcessedFor(task-queue) gave no error")
	}
}
