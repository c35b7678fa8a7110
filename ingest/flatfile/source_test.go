package flatfile

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/wire"

	"github.com/tickerlake/tickerlake/stream"
)

var update = flag.Bool("update", false, "rewrite golden files")

func open(dir string) func(context.Context) (Files, error) {
	return func(context.Context) (Files, error) { return Dir(dir), nil }
}

type sink struct {
	raws []ingest.Raw
	bars map[string][]string
}

func (s *sink) emit(r ingest.Raw) error {
	if s.bars == nil {
		s.bars = map[string][]string{}
	}
	ts, err := wire.DecodeTimeSeries(r.Value)
	if err != nil {
		return err
	}
	s.raws = append(s.raws, r)
	for _, v := range ts.Values {
		s.bars[r.Symbol] = append(s.bars[r.Symbol], v.Datetime)
	}
	return nil
}

var (
	from = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to   = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

func TestImport(t *testing.T) {
	src := &Source{Open: open("testdata/files")}
	task := ingest.NewTask(ingest.Historical, from, to, "AAPL", "MSFT", "BRK-B")
	var out sink
	err := src.Fetch(t.Context(), task, out.emit)
	ie, ok := ingest.AsIncomplete(err)
	if !ok {
		t.Fatalf("error %v, want the unreadable files named", err)
	}
	wantFailed := map[string]string{
		"bad/no-window.csv": `no "window_start" column`,
		"2026-11-20.csv.gz": "2 unreadable rows (line 6: window_start \"\": not nanoseconds; line 7: window_start \"not-a-time\"",
	}
	for f, msg := range wantFailed {
		if !strings.Contains(ie.Failed[f], msg) {
			t.Errorf("%s: %q, want it to say %q", f, ie.Failed[f], msg)
		}
	}
	if len(ie.Failed) != len(wantFailed) {
		t.Errorf("failed %v", ie.Failed)
	}
	want := map[string][]string{
		"AAPL":  {"2026-11-20", "2026-11-19", "2026-11-18", "2026-11-17"},
		"MSFT":  {"2026-11-20", "2026-11-19", "2026-11-18"},
		"BRK.B": {"2026-11-20", "2026-11-19", "2026-11-18"},
	}
	for sym, dates := range want {
		if !slices.Equal(out.bars[sym], dates) {
			t.Errorf("%s: %v, want %v (newest first, the holiday row dropped)", sym, out.bars[sym], dates)
		}
	}
	if len(out.bars) != 3 {
		t.Errorf("symbols %v: a ticker outside the task landed", out.bars)
	}
	for _, r := range out.raws {
		if r.Topic != stream.HistoricalData {
			t.Errorf("%s on %s", r.Symbol, r.Topic)
		}
	}
	golden := filepath.Join("testdata", "golden", "aapl.json")
	var aapl []byte
	for _, r := range out.raws {
		if r.Symbol == "AAPL" {
			aapl = r.Value
		}
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, append(aapl, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantJSON, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(wantJSON)) != string(aapl) {
		t.Errorf("AAPL message\n%s\nwant (%s)\n%s", aapl, golden, wantJSON)
	}
}

func TestImportOptions(t *testing.T) {
	tests := []struct {
		name     string
		src      *Source
		task     ingest.Task
		wantMsgs int
		wantErr  bool
	}{
		{"prefix picks a folder", &Source{Open: open("testdata/files"), Prefix: "nested/"},
			ingest.NewTask(ingest.Daily, from, to, "AAPL"), 1, false},
		{"pages split long series", &Source{Open: open("testdata/files"), Prefix: "2026", PageBars: 2},
			ingest.NewTask(ingest.Historical, from, to, "AAPL"), 2, true},
		{"window leaves days out", &Source{Open: open("testdata/files"), Prefix: "2026-11-19"},
			ingest.NewTask(ingest.Daily, from, time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), "AAPL"), 0, false},
		{"options are not in day files", &Source{Open: open("testdata/files")},
			ingest.NewTask(ingest.Options, from, from), 0, true},
		{"missing folder", &Source{Open: open("testdata/files/nowhere")},
			ingest.NewTask(ingest.Daily, from, to), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out sink
			err := tc.src.Fetch(t.Context(), tc.task, out.emit)
			if (err != nil) != tc.wantErr {
				t.Errorf("err %v, want error %v", err, tc.wantErr)
			}
			if len(out.raws) != tc.wantMsgs {
				t.Errorf("%d messages, want %d", len(out.raws), tc.wantMsgs)
			}
		})
	}
}
