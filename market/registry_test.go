package market

import (
	"slices"
	"testing"
)

func TestRegistryLookups(t *testing.T) {
	for _, tc := range []struct {
		task, raw, processed string
		ds                   *Dataset
	}{
		{"daily", "daily-data", "processed-daily-data", DailyBars},
		{"15min", "15min-data", "processed-15min-data", IntradayBars},
		{"historical", "historical-data", "processed-historical-data", DailyBars},
		{"options", "option-data", "processed-options-data", OptionQuotes},
		{"actions", "corporate-actions", "processed-corporate-actions", CorporateActions},
	} {
		t.Run(tc.task, func(t *testing.T) {
			f, err := FeedForTask(tc.task)
			if err != nil {
				t.Fatal(err)
			}
			if f.Raw != tc.raw || f.Processed != tc.processed || f.Dataset != tc.ds {
				t.Errorf("feed = %s -> %s (%s), want %s -> %s (%s)", f.Raw, f.Processed, f.Dataset.Name, tc.raw, tc.processed, tc.ds.Name)
			}
			byRaw, err := FeedForRaw(tc.raw)
			if err != nil || byRaw.Task != tc.task {
				t.Errorf("FeedForRaw(%s) = %q, %v", tc.raw, byRaw.Task, err)
			}
			ds, err := DatasetOfProcessed(tc.processed)
			if err != nil || ds != tc.ds {
				t.Errorf("DatasetOfProcessed(%s) = %v, %v", tc.processed, ds, err)
			}
		})
	}
	for name, err := range map[string]error{
		"task":      func() error { _, err := FeedForTask("weekly"); return err }(),
		"empty":     func() error { _, err := FeedForTask(""); return err }(),
		"raw":       func() error { _, err := FeedForRaw("processed-daily-data"); return err }(),
		"processed": func() error { _, err := DatasetOfProcessed("daily-data"); return err }(),
	} {
		if err == nil {
			t.Errorf("%s: an unknown name gave no error", name)
		}
	}
}

// Every dataset is reachable, every derived feed derives from a raw feed,
// topics are unique and every raw feed has a cleaning step.
func TestRegistryConsistent(t *testing.T) {
	seen := map[string]bool{}
	filled := map[*Dataset]bool{}
	for _, f := range Feeds() {
		for _, topic := range []string{f.Raw, f.Processed} {
			if topic != "" && seen[topic] {
				t.Errorf("topic %s appears twice", topic)
			}
			seen[topic] = true
		}
		filled[f.Dataset] = true
		switch {
		case f.Raw == "" && f.DerivedFrom == "":
			t.Errorf("feed %s has neither a raw topic nor a source feed", f.Processed)
		case f.Raw != "" && (f.Task == "" || f.Clean == "" || f.Provider == ""):
			t.Errorf("raw feed %s needs a task kind, a cleaning step and a provider", f.Raw)
		case f.DerivedFrom != "":
			if _, err := FeedForRaw(f.DerivedFrom); err != nil {
				t.Errorf("feed %s: %v", f.Processed, err)
			}
		}
	}
	for _, d := range Datasets() {
		if !filled[d] {
			t.Errorf("no feed fills dataset %s", d.Name)
		}
	}
	if got, want := ProcessedTopics(DailyBars), []string{"processed-daily-data", "processed-historical-data"}; !slices.Equal(got, want) {
		t.Errorf("ProcessedTopics(daily_bars) = %v, want %v", got, want)
	}
	if got := ViewList(); got != "daily_bars, intraday_bars, option_quotes, iv_smile and corporate_actions" {
		t.Errorf("ViewList() = %q", got)
	}
	if got := SQLDatasets(); !slices.Equal(got, []*Dataset{DailyBars, IntradayBars, OptionQuotes, CorporateActions}) {
		t.Errorf("SQLDatasets() = %v", got)
	}
}
