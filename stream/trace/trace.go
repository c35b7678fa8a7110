// Package trace is the W3C Trace Context (traceparent) that tickerlake's
// messages carry from the collector to the lake and the sinks: parsing and
// formatting the header, new trace and span ids, and the log attributes.
//
// A trace starts at the collector, one per provider response, and every
// message derived from it carries a child span of the same trace, so the
// trace id in each stage's logs follows one record end to end. The ids
// travel in Kafka headers and logs; a stage given a Recorder also hands it
// its Span, which package otlp sends to a tracing backend when asked to.
package trace

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
)

// Header is the name of the header (HTTP or Kafka) that carries a Context.
const Header = "traceparent"

// LogKey is the slog attribute of a trace id; LinksKey lists the other
// traces a batch holds (see Links).
const (
	LogKey   = "trace_id"
	LinksKey = "trace_links"
)

// TraceID identifies a whole trace; the zero value is invalid.
type TraceID [16]byte

// SpanID identifies one span (one stage's handling) of a trace; the zero
// value is invalid.
type SpanID [8]byte

// Flags are the trace-flags byte; only Sampled is defined.
type Flags byte

// Sampled says the caller may have recorded the span.
const Sampled Flags = 0x01

// Context is one span's position in its trace: what traceparent carries.
type Context struct {
	TraceID TraceID
	SpanID  SpanID
	Flags   Flags
}

// New starts a trace: a random trace id and span id, sampled. The ids
// come from math/rand/v2's generator (ChaCha8, seeded by the runtime),
// as the spec's "random" trace ids ask.
func New() Context {
	var c Context
	binary.BigEndian.PutUint64(c.TraceID[:8], nonZero())
	binary.BigEndian.PutUint64(c.TraceID[8:], rand.Uint64())
	binary.BigEndian.PutUint64(c.SpanID[:], nonZero())
	c.Flags = Sampled
	return c
}

// Child is a new span of the same trace, with the same flags.
func (c Context) Child() Context {
	binary.BigEndian.PutUint64(c.SpanID[:], nonZero())
	return c
}

func nonZero() uint64 {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}

// IsValid reports whether both ids are non-zero.
func (c Context) IsValid() bool {
	return c.TraceID != TraceID{} && c.SpanID != SpanID{}
}

// Errors of Parse; a caller that gets one starts a new trace, as the spec
// says a receiver of an invalid traceparent does.
var (
	ErrMalformed = errors.New("malformed traceparent")
	ErrZeroID    = errors.New("traceparent with an all-zero id")
)

// versionLen is the length of a version 00 traceparent:
// "00-" + 32 hex + "-" + 16 hex + "-" + 2 hex.
const versionLen = 55

// Parse reads a traceparent value. Version 00 must be exactly 55
// characters; a later version may append fields after a dash, which are
// ignored, and version ff is invalid. Hex digits must be lowercase.
func Parse(s string) (Context, error) { return parse(s) }

// ParseBytes is Parse of a header value as bytes, without copying it.
func ParseBytes(b []byte) (Context, error) { return parse(b) }

func parse[S ~string | ~[]byte](s S) (Context, error) {
	var c Context
	if len(s) < versionLen {
		return c, fmt.Errorf("%w: %d characters, want %d", ErrMalformed, len(s), versionLen)
	}
	var version [1]byte
	if !decodeHex(version[:], s[0:2]) {
		return c, fmt.Errorf("%w: version %q is not lowercase hex", ErrMalformed, s[0:2])
	}
	switch {
	case version[0] == 0xff:
		return c, fmt.Errorf("%w: version ff", ErrMalformed)
	case version[0] == 0 && len(s) != versionLen:
		return c, fmt.Errorf("%w: version 00 with %d characters, want %d", ErrMalformed, len(s), versionLen)
	case len(s) > versionLen && s[versionLen] != '-':
		return c, fmt.Errorf("%w: no dash after the flags", ErrMalformed)
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return c, fmt.Errorf("%w: fields not separated by dashes", ErrMalformed)
	}
	var flags [1]byte
	switch {
	case !decodeHex(c.TraceID[:], s[3:35]):
		return Context{}, fmt.Errorf("%w: trace id %q is not lowercase hex", ErrMalformed, s[3:35])
	case !decodeHex(c.SpanID[:], s[36:52]):
		return Context{}, fmt.Errorf("%w: parent id %q is not lowercase hex", ErrMalformed, s[36:52])
	case !decodeHex(flags[:], s[53:55]):
		return Context{}, fmt.Errorf("%w: flags %q are not lowercase hex", ErrMalformed, s[53:55])
	}
	c.Flags = Flags(flags[0])
	if c.TraceID == (TraceID{}) || c.SpanID == (SpanID{}) {
		return Context{}, ErrZeroID
	}
	return c, nil
}

// decodeHex decodes 2*len(dst) lowercase hex digits (the spec forbids
// uppercase) into dst, reporting whether all were valid.
func decodeHex[S ~string | ~[]byte](dst []byte, src S) bool {
	for i := range dst {
		hi, ok1 := fromHex(src[2*i])
		lo, ok2 := fromHex(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(ch byte) (byte, bool) {
	switch {
	case '0' <= ch && ch <= '9':
		return ch - '0', true
	case 'a' <= ch && ch <= 'f':
		return ch - 'a' + 10, true
	}
	return 0, false
}

// String is the traceparent value, version 00.
func (c Context) String() string {
	return string(c.AppendText(make([]byte, 0, versionLen)))
}

// AppendText appends the traceparent value to b.
func (c Context) AppendText(b []byte) []byte {
	b = append(b, "00-"...)
	b = hex.AppendEncode(b, c.TraceID[:])
	b = append(b, '-')
	b = hex.AppendEncode(b, c.SpanID[:])
	b = append(b, '-')
	return hex.AppendEncode(b, []byte{byte(c.Flags)})
}

// String is the trace id as 32 lowercase hex digits, as logs show it.
func (t TraceID) String() string { return hex.EncodeToString(t[:]) }

// String is the span id as 16 lowercase hex digits.
func (s SpanID) String() string { return hex.EncodeToString(s[:]) }

// Attr is the log attribute of c's trace id.
func (c Context) Attr() slog.Attr { return slog.String(LogKey, c.TraceID.String()) }

// Links are the traces of a batch that aggregates many records (a lake
// commit, a sink write): the batch's log line carries the first record's
// trace id under LogKey, as its own span would belong to that trace, and
// the distinct other trace ids, in order of first appearance, under
// LinksKey, as span links would. A record's trace id is thus on every
// batch line that handled it.
func Links(cs []Context) []slog.Attr {
	if len(cs) == 0 {
		return nil
	}
	seen := map[TraceID]bool{cs[0].TraceID: true}
	var links []string
	for _, c := range cs[1:] {
		if !seen[c.TraceID] {
			seen[c.TraceID] = true
			links = append(links, c.TraceID.String())
		}
	}
	if len(links) == 0 {
		return []slog.Attr{cs[0].Attr()}
	}
	return []slog.Attr{cs[0].Attr(), slog.Any(LinksKey, links)}
}
