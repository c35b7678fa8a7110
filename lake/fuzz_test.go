package lake_test

import (
	"strings"
	"testing"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
)

func FuzzParseRetention(f *testing.F) {
	for _, s := range []string{"", "daily_bars=3650d", "intraday_bars=400d,option_quotes=72h", "x=1d", "daily_bars=-1d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		keep, err := lake.ParseRetention(spec)
		if err != nil {
			return
		}
		for name, d := range keep {
			if _, ok := market.DatasetByName(name); !ok || d < 0 {
				t.Fatalf("%q accepted as %s=%v", spec, name, d)
			}
		}
	})
}

func FuzzParseS3URL(f *testing.F) {
	for _, s := range []string{"s3://bucket/prefix", "s3://b", "/data/lake", "s3://b/p?q", "s3:///x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		bucket, prefix, err := lake.ParseS3URL(raw)
		if err != nil {
			return
		}
		if bucket == "" || strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") {
			t.Fatalf("%q parsed as bucket %q prefix %q", raw, bucket, prefix)
		}
	})
}
