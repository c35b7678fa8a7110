package trace

import "time"

// Span is one stage's handling of a record, as a tracing backend shows it:
// the Context the stage put on what it derived (so the span id is the one
// the Kafka headers carry), the span it continued, and when it ran.
type Span struct {
	Context
	// Parent is the span this one continues; zero for the root of a trace.
	Parent SpanID
	// Name says what the stage did: "collect response", "process record".
	Name       string
	Start, End time.Time
	// Links are the other records' spans a batch (a lake commit, a sink
	// write) handled besides its first, as Links logs them.
	Links []Context
	// Attrs describe the span: dataset, topic, rows.
	Attrs []Attr
	// Err, when set, marks the span failed with its message.
	Err error
}

// Attr is one attribute of a Span: a string or an int64 value.
type Attr struct {
	Key string
	Str string
	Int int64
	// IsInt says Int holds the value.
	IsInt bool
}

// String is a string attribute.
func String(key, v string) Attr { return Attr{Key: key, Str: v} }

// Int is an integer attribute.
func Int(key string, v int) Attr { return Attr{Key: key, Int: int64(v), IsInt: true} }

// Recorder takes finished spans, to send them to a tracing backend. A
// stage with a nil Recorder records nothing: export is optional, and the
// headers and logs carry the trace without it. Record must not block.
type Recorder interface {
	Record(Span)
}

// BatchSpan is the span of a batch that aggregates records (a lake commit,
// a sink write): a child of the first record's span, linking the others.
// It returns false for a batch with no traced record.
func BatchSpan(cs []Context, name string, start, end time.Time, attrs ...Attr) (Span, bool) {
	if len(cs) == 0 {
		return Span{}, false
	}
	return Span{Context: cs[0].Child(), Parent: cs[0].SpanID, Name: name, Start: start, End: end,
		Links: cs[1:], Attrs: attrs}, true
}
