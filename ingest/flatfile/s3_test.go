package flatfile

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
)

// TestImportFromS3 reads the day files from an S3 prefix: always from an
// in-process S3 server, and from the versitygw service when
// scripts/services started it.
func TestImportFromS3(t *testing.T) {
	stores := map[string]func(t *testing.T) *lake.S3{
		"gofakes3": func(t *testing.T) *lake.S3 {
			return laketest.FakeS3(t, laketest.NewClock(time.Now()), "vendor", "")
		},
		"versitygw": func(t *testing.T) *lake.S3 {
			s, ok := laketest.S3FromEnv(t)
			if !ok {
				t.Skip("no S3 server: run scripts/services/versitygw.sh (bash scripts/test.sh does)")
			}
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			const prefix = "us_stocks_sip/day_aggs_v1/2026/11/"
			for _, f := range []string{"2026-11-18.csv.gz", "2026-11-19.csv", "2026-11-20.csv.gz", "README.txt"} {
				b, err := os.ReadFile(filepath.Join("testdata", "files", f))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := store.PutIfAbsent(t.Context(), prefix+f, b); err != nil {
					t.Fatal(err)
				}
			}
			src := &Source{Prefix: "us_stocks_sip/day_aggs_v1/", Open: func(context.Context) (Files, error) { return store, nil }}
			var out sink
			err := src.Fetch(t.Context(), ingest.NewTask(ingest.Historical, from, to, "AAPL", "BRK.B"), out.emit)
			if ie, ok := ingest.AsIncomplete(err); !ok || len(ie.Failed) != 1 {
				t.Fatalf("err %v, want only the file with unreadable rows named", err)
			}
			want := []string{"2026-11-20", "2026-11-19", "2026-11-18"}
			for _, sym := range []string{"AAPL", "BRK.B"} {
				if !slices.Equal(out.bars[sym], want) {
					t.Errorf("%s: %v, want %v", sym, out.bars[sym], want)
				}
			}
		})
	}
}
