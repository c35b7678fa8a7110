package query

import (
	"strings"
	"testing"
	"time"
)

func TestWriteFormatsTimesByColumnType(t *testing.T) {
	midnight := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	r := &Result{Columns: []string{"d", "ts"}, Types: []string{"DATE", "TIMESTAMPTZ"}, Rows: [][]any{{midnight, midnight}}}
	var b strings.Builder
	if err := r.Write(&b, "csv"); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "d,ts\n2026-11-27,2026-11-27T00:00:00Z\n"; got != want {
		t.Fatalf("csv %q, want %q", got, want)
	}
}
