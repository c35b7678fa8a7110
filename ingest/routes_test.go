package ingest

import (
	"context"
	"testing"
)

type namedSource string

func (s namedSource) Name() string                                       { return string(s) }
func (s namedSource) Fetch(context.Context, Task, func(Raw) error) error { return nil }

func TestRoutingRouter(t *testing.T) {
	td, yh, flat := namedSource("twelvedata"), namedSource("yahoo"), namedSource("flatfile")
	for _, tc := range []struct {
		name string
		r    Routing
		want map[Kind]string
	}{
		{"providers", Routing{Bars: td, Options: yh, BarsKeyed: true},
			map[Kind]string{Daily: "twelvedata", Intraday: "twelvedata", Historical: "twelvedata", Options: "yahoo", Actions: "yahoo"}},
		{"flat files for history", Routing{Bars: td, Options: yh, FlatFiles: flat, BarsKeyed: true},
			map[Kind]string{Daily: "twelvedata", Intraday: "twelvedata", Historical: "flatfile", Options: "yahoo", Actions: "yahoo"}},
		{"flat files first, keys", Routing{Bars: td, Options: yh, FlatFiles: flat, FlatFilesFirst: true, BarsKeyed: true},
			map[Kind]string{Daily: "flatfile", Intraday: "twelvedata", Historical: "flatfile", Options: "yahoo", Actions: "yahoo"}},
		{"flat files first, no keys", Routing{Bars: td, Options: yh, FlatFiles: flat, FlatFilesFirst: true},
			map[Kind]string{Daily: "flatfile", Historical: "flatfile", Options: "yahoo", Actions: "yahoo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := tc.r.Router().Routes
			if len(routes) != len(tc.want) {
				t.Fatalf("%d routes, want %d", len(routes), len(tc.want))
			}
			for k, name := range tc.want {
				if s, ok := routes[k]; !ok || s.Name() != name {
					t.Errorf("%s -> %v, want %s", k, s, name)
				}
			}
		})
	}
}
