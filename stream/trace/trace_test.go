package trace

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// The spec's own example (W3C Trace Context, section 3.2).
const example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error // nil: valid
	}{
		{"spec example", example, nil},
		{"not sampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", nil},
		{"later version with more fields", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", nil},
		{"later version, same length", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", nil},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ErrMalformed},
		{"version 00 with more fields", example + "-extra", ErrMalformed},
		{"later version, no dash after flags", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", ErrMalformed},
		{"uppercase hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", ErrMalformed},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", ErrZeroID},
		{"zero parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", ErrZeroID},
		{"short", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", ErrMalformed},
		{"empty", "", ErrMalformed},
		{"wrong separator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ErrMalformed},
		{"non-hex flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", ErrMalformed},
		{"non-hex version", "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			if tc.want == nil {
				if err != nil || !c.IsValid() {
					t.Fatalf("Parse(%q) = %v, %v; want a valid context", tc.in, c, err)
				}
				if got := c.String(); got != "00"+tc.in[2:55] {
					t.Errorf("String() = %q, want %q", got, "00"+tc.in[2:55])
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse(%q) error %v, want %v", tc.in, err, tc.want)
			}
			if c.IsValid() {
				t.Errorf("Parse(%q) returned a valid context with its error", tc.in)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	c, err := Parse(example)
	if err != nil {
		t.Fatal(err)
	}
	if c.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" || c.SpanID.String() != "00f067aa0ba902b7" || c.Flags != Sampled {
		t.Errorf("got trace %s span %s flags %02x", c.TraceID, c.SpanID, c.Flags)
	}
}

func TestNewAndChild(t *testing.T) {
	seen := map[TraceID]bool{}
	for range 1000 {
		c := New()
		if !c.IsValid() || c.Flags != Sampled {
			t.Fatalf("New() = %v, not a valid sampled context", c)
		}
		if seen[c.TraceID] {
			t.Fatalf("trace id %s repeated", c.TraceID)
		}
		seen[c.TraceID] = true
		back, err := Parse(c.String())
		if err != nil || back != c {
			t.Fatalf("Parse(%s) = %v, %v; want it back", c, back, err)
		}
		ch := c.Child()
		if ch.TraceID != c.TraceID || ch.SpanID == c.SpanID || !ch.IsValid() || ch.Flags != c.Flags {
			t.Fatalf("Child of %s is %s: want the same trace and flags, a new span", c, ch)
		}
	}
}

func TestLinks(t *testing.T) {
	a, b := New(), New()
	got := Links([]Context{a, a.Child(), b, a, b.Child()})
	if len(got) != 2 || got[0].Key != LogKey || got[0].Value.String() != a.TraceID.String() {
		t.Fatalf("Links = %v, want %s first", got, a.TraceID)
	}
	links, ok := got[1].Value.Any().([]string)
	if got[1].Key != LinksKey || !ok || len(links) != 1 || links[0] != b.TraceID.String() {
		t.Errorf("links %v, want only %s", got[1], b.TraceID)
	}
	if one := Links([]Context{a, a.Child()}); len(one) != 1 {
		t.Errorf("a batch of one trace has attributes %v, want only %s", one, LogKey)
	}
	if Links(nil) != nil {
		t.Error("an empty batch has trace attributes")
	}
	var sb strings.Builder
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("batch", slog.Attr{Key: "x", Value: slog.GroupValue(got...)})
	if !strings.Contains(sb.String(), b.TraceID.String()) {
		t.Errorf("log line %s lacks the linked trace", sb.String())
	}
}

// FuzzParse: Parse and ParseBytes agree; whatever Parse accepts prints back as the same version 00
// header, and whatever it prints it accepts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{example, "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", "ff-", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if cb, errb := ParseBytes([]byte(s)); cb != c || (errb == nil) != (err == nil) {
			t.Fatalf("ParseBytes(%q) = %v, %v; Parse gave %v, %v", s, cb, errb, c, err)
		}
		if err != nil {
			return
		}
		if !c.IsValid() {
			t.Fatalf("Parse(%q) accepted an invalid context", s)
		}
		out := c.String()
		if out[3:] != s[3:55] {
			t.Fatalf("Parse(%q).String() = %q", s, out)
		}
		if back, err := Parse(out); err != nil || back != c {
			t.Fatalf("Parse(%q) = %v, %v", out, back, err)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse(example); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewString(b *testing.B) {
	buf := make([]byte, 0, versionLen)
	for b.Loop() {
		buf = New().AppendText(buf[:0])
	}
}
