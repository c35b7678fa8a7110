package query

import (
	"context"
	"strings"
	"testing"
)

// noFiles resolves nothing: every s3:// name is outside the lake.
type noFiles struct{ localFiles }

// FuzzRewriteNames checks the SQL scanner never panics, leaves SQL that
// names nothing under s3:// exactly as it was, and refuses the rest.
func FuzzRewriteNames(f *testing.F) {
	for _, s := range []string{"SELECT 1", "SELECT 's3://b/k'", "-- 's3://x'\nSELECT 1", "/* ' */ 'a''b'", `"s3://x" 's`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out, err := rewriteNames(context.Background(), q, noFiles{})
		if err != nil {
			if !strings.Contains(strings.ToLower(q), "s3://") {
				t.Fatalf("refused %q, which names nothing on S3: %v", q, err)
			}
			return
		}
		if out != q {
			t.Fatalf("rewrote %q to %q with nothing to resolve", q, out)
		}
	})
}
