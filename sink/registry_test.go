package sink

import (
	"slices"
	"testing"

	"github.com/tickerlake/tickerlake/market"
)

// The warehouse's tables are the ones the registry names for each dataset.
func TestTablesFollowRegistry(t *testing.T) {
	for _, ds := range market.Datasets() {
		var names []string
		for _, tb := range TablesOf(ds) {
			names = append(names, tb.Name)
		}
		if want := ds.SQLTables(); !slices.Equal(names, want) {
			t.Errorf("%s fills tables %v; the registry names %v", ds.Name, names, want)
		}
	}
	if got, want := Topics([]*market.Dataset{market.DailyBars, market.OptionQuotes}), []string{"processed-daily-data", "processed-historical-data", "processed-options-data"}; !slices.Equal(got, want) {
		t.Errorf("Topics = %v, want %v", got, want)
	}
}
