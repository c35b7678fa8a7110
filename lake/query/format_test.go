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

func TestWriteRecordKeepsFieldOrder(t *testing.T) {
	fields := []Field{{"type", "call"}, {"spot", 42.0}, {"iv", 0.2}, {"price", 4.75}}
	var j, tb strings.Builder
	if err := WriteRecord(&j, "json", fields); err != nil {
		t.Fatal(err)
	}
	if got, want := j.String(), "{\n  \"type\": \"call\",\n  \"spot\": 42,\n  \"iv\": 0.2,\n  \"price\": 4.75\n}\n"; got != want {
		t.Fatalf("json %q, want %q", got, want)
	}
	if err := WriteRecord(&tb, "table", fields); err != nil {
		t.Fatal(err)
	}
	if got, want := tb.String(), "type   call\nspot   42\niv     0.2\nprice  4.75\n"; got != want {
		t.Fatalf("table %q, want %q", got, want)
	}
	if err := WriteRecord(&tb, "xml", fields); err == nil {
		t.Fatal("unknown format accepted")
	}
}
