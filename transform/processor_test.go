package transform

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/quant"
	"github.com/tickerlake/tickerlake/stream"
)

// goldenMessage returns message i of a golden input as the raw topic carries it.
func goldenMessage(t *testing.T, name string, i int) (goldenCase, kafka.Message) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "golden", name+".in.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gc goldenCase
	if err := json.Unmarshal(raw, &gc); err != nil {
		t.Fatal(err)
	}
	var value bytes.Buffer
	if err := json.Compact(&value, gc.Messages[i].Value); err != nil {
		t.Fatal(err)
	}
	m := kafka.Message{Topic: gc.Topic, Partition: 2, Offset: 41, Key: []byte("K"), Value: value.Bytes()}
	if s := gc.Messages[i].Snapshot; s != "" {
		m.Headers = stream.Headers(stream.HeaderSnapshot, s)
	}
	return gc, m
}

// rowsIn decodes an Arrow IPC message value and counts its rows.
func rowsIn(t *testing.T, ds *market.Dataset, value []byte) int {
	t.Helper()
	rd, err := ipc.NewReader(bytes.NewReader(value), ipc.WithSchema(ds.ArrowSchema()))
	if err != nil {
		t.Fatalf("%s: %v", ds.Name, err)
	}
	defer rd.Release()
	n := 0
	for rd.Next() {
		n += int(rd.RecordBatch().NumRows())
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestProcessRoutes checks where one raw message's records go: valid rows as
// one Arrow batch to the processed topic, smiles to processed-iv-smile, each
// reject to the dead-letter topic with its reason, payload and origin, and
// that the counters per reason and per rule move by as much.
func TestProcessRoutes(t *testing.T) {
	cases := []struct {
		name      string
		msg       int
		processed map[string]int // topic: rows
		reasons   map[string]int
		rules     map[string]float64 // metric name: total over its labels
		unsolved  map[Unsolved]float64
	}{
		{"options", 0, map[string]int{stream.ProcessedOptionData: 22, stream.ProcessedIVSmile: 1},
			map[string]int{ReasonCrossed: 1, ReasonContract: 3, ReasonStrike: 1, ReasonNegativeQuote: 1, ReasonExpired: 2},
			map[string]float64{"tickerlake_records_deduplicated_total": 1, "tickerlake_option_iv_unsolved_total": 1},
			map[Unsolved]float64{UnsolvedAtIntrinsic: 1, UnsolvedOutsideBounds: 0, UnsolvedVolRange: 0, UnsolvedNotComputable: 0}},
		{"daily", 0, map[string]int{stream.ProcessedDailyData: 10},
			map[string]int{ReasonBadTimestamp: 1, ReasonNotANumber: 1, ReasonNegativeVolume: 1, ReasonNonPositive: 1, ReasonOHLC: 1, ReasonOutsideSession: 1, ReasonFuture: 1},
			map[string]float64{"tickerlake_values_imputed_total": 17, "tickerlake_gap_bars_inserted_total": 2, "tickerlake_records_deduplicated_total": 1}, nil},
		{"intraday", 0, map[string]int{stream.ProcessedIntradayData: 7},
			map[string]int{ReasonBadTimestamp: 1, ReasonNonPositive: 1, ReasonOutsideSession: 2},
			map[string]float64{"tickerlake_values_imputed_total": 11, "tickerlake_gap_bars_inserted_total": 2}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gc, m := goldenMessage(t, tc.name, tc.msg)
			set := metrics.New()
			now := gc.Now
			c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(now), Dividends: gc.Dividends}
			if gc.Curve != "" {
				curve, err := quant.ParseCurve(gc.Curve)
				if err != nil {
					t.Fatal(err)
				}
				c.Curve = curve
			}
			p := &Processor{Cleaner: c, Metrics: set}
			out, err := p.Process(m)
			if err != nil {
				t.Fatal(err)
			}
			gotRows := map[string]int{}
			gotReasons := map[string]int{}
			for _, o := range out {
				switch o.Topic {
				case stream.DeadLetter:
					gotReasons[stream.Header(o, stream.HeaderReason)]++
					if stream.Header(o, stream.HeaderOrigin) != stream.Origin(m) || len(o.Value) == 0 || stream.Header(o, stream.HeaderDetail) == "" {
						t.Errorf("dead letter lacks origin, detail or payload: %+v", o.Headers)
					}
				default:
					ds, ok := market.DatasetByName(stream.Header(o, stream.HeaderSchema))
					if !ok || stream.Header(o, stream.HeaderEncoding) != stream.EncodingArrow || stream.Header(o, stream.HeaderSchemaVersion) != "1" {
						t.Fatalf("processed message headers %+v", o.Headers)
					}
					if string(o.Key) != "K" {
						t.Errorf("key %q, want the raw message's", o.Key)
					}
					gotRows[o.Topic] += rowsIn(t, ds, o.Value)
				}
			}
			for topic, n := range tc.processed {
				if gotRows[topic] != n {
					t.Errorf("%s: %d rows, want %d", topic, gotRows[topic], n)
				}
				if got := testutil.ToFloat64(set.Processed.WithLabelValues(topic)); got != float64(n) {
					t.Errorf("processed counter for %s = %v, want %d", topic, got, n)
				}
			}
			if len(gotRows) != len(tc.processed) {
				t.Errorf("rows went to %v, want only %v", gotRows, tc.processed)
			}
			for reason, n := range tc.reasons {
				if gotReasons[reason] != n {
					t.Errorf("%s: %d dead letters, want %d (all: %v)", reason, gotReasons[reason], n, gotReasons)
				}
				if got := testutil.ToFloat64(set.DeadLettered.WithLabelValues(m.Topic, reason)); got != float64(n) {
					t.Errorf("dead-letter counter for %s = %v, want %d", reason, got, n)
				}
			}
			families, err := set.Registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, f := range families {
				for _, mt := range f.GetMetric() {
					if c := mt.GetCounter(); c != nil {
						got[f.GetName()] += c.GetValue()
					}
				}
			}
			for name, want := range tc.rules {
				if got[name] != want {
					t.Errorf("%s = %v, want %v", name, got[name], want)
				}
			}
			// Every reason's series exists, zero or not, so alerts over it have data.
			for u, want := range tc.unsolved {
				if got := testutil.ToFloat64(p.rules.unsolved.WithLabelValues(market.OptionQuotes.Name, u.String())); got != want {
					t.Errorf("tickerlake_option_iv_unsolved_total{reason=%q} = %v, want %v", u, got, want)
				}
			}
		})
	}
}

// TestProcessSchemaVersion refuses a raw message of a schema version the
// processor does not know, as a dead letter rather than an error.
func TestProcessSchemaVersion(t *testing.T) {
	_, m := goldenMessage(t, "daily", 0)
	m.Headers = append(m.Headers, kafka.Header{Key: stream.HeaderSchemaVersion, Value: []byte("2")})
	p := &Processor{Cleaner: &Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}, Metrics: metrics.New()}
	out, err := p.Process(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Topic != stream.DeadLetter || stream.Header(out[0], stream.HeaderReason) != ReasonSchemaVersion || !bytes.Equal(out[0].Value, m.Value) {
		t.Fatalf("got %d messages, want one %s dead letter carrying the payload", len(out), ReasonSchemaVersion)
	}
}
