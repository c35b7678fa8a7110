package yahoo

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/ingest/yahoo/yhtest"
	"github.com/tickerlake/tickerlake/stream"
)

// snapshot is the task instant: Friday 2026-11-20 at the close.
var snapshot = time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)

func testdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newFake(t testing.TB, clock *clock.Manual) (*yhtest.Server, *Client) {
	f := yhtest.New(clock.Now)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, &Client{BaseURL: srv.URL, CookieURL: srv.URL + "/cookie"}
}

func newSource(c *Client, clock clock.Clock) *Source {
	return &Source{Client: c, Clock: clock, Seed: 1}
}

type sink struct{ raws []ingest.Raw }

func (s *sink) emit(r ingest.Raw) error {
	s.raws = append(s.raws, r)
	return nil
}

func header(r ingest.Raw, k string) string {
	return stream.Header(kafka.Message{Headers: r.Headers}, k)
}

func TestSnapshotsEveryExpiration(t *testing.T) {
	clock := clock.NewManual(snapshot)
	fake, client := newFake(t, clock)
	src := newSource(client, clock)
	task := ingest.NewTask(ingest.Options, snapshot, snapshot, "AAPL", "BRK.B")
	var out sink
	if err := src.Fetch(t.Context(), task, out.emit); err != nil {
		t.Fatal(err)
	}
	// Five expirations, the last beyond 90 days; the nearest comes with the first call.
	if len(out.raws) != 8 {
		t.Fatalf("%d messages, want 4 expirations x 2 symbols", len(out.raws))
	}
	if len(fake.Calls()) != 8 || fake.Crumbs() != 1 {
		t.Errorf("%d options calls and %d crumbs, want 8 and 1", len(fake.Calls()), fake.Crumbs())
	}
	if fake.Calls()[4].Sym != "BRK-B" {
		t.Errorf("asked Yahoo for %q, want its spelling BRK-B", fake.Calls()[4].Sym)
	}
	exps := map[string][]int64{}
	for _, r := range out.raws {
		if r.Topic != stream.OptionData || header(r, stream.HeaderSnapshot) != "2026-11-20T21:00:00Z" ||
			header(r, stream.HeaderTask) != task.ID || header(r, stream.HeaderSchema) != wire.SchemaOptionChain {
			t.Errorf("message %s on %s with headers %v", r.Symbol, r.Topic, r.Headers)
		}
		res, err := wire.DecodeOptionChain(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		exps[r.Symbol] = append(exps[r.Symbol], res.Options[0].ExpirationDate)
		ivs := map[string]*float64{}
		for _, c := range append(res.Options[0].Calls, res.Options[0].Puts...) {
			ivs[c.ContractSymbol[len(c.ContractSymbol)-9:]] = c.ImpliedVolatility
		}
		if iv := ivs["C00300000"]; iv == nil || *iv != 0 {
			t.Errorf("implied volatility 0 did not pass through: %v", iv)
		}
		if iv := ivs["P00100000"]; iv == nil || *iv != 20 {
			t.Errorf("implied volatility 20 did not pass through: %v", iv)
		}
		if iv, ok := ivs["P00240000"]; !ok || iv != nil {
			t.Errorf("contract without impliedVolatility: present %v, value %v", ok, iv)
		}
	}
	want := []int64{1795132800, 1795737600, 1797552000, 1799971200}
	for _, sym := range []string{"AAPL", "BRK.B"} {
		if !slices.Equal(exps[sym], want) {
			t.Errorf("%s expirations %v, want %v", sym, exps[sym], want)
		}
	}
}

func TestYahooBadDays(t *testing.T) {
	read := func(name string) []byte { return testdata(t, name) }
	at := func(status int, body []byte, calls ...int) func(int, string) (int, []byte, bool) {
		return func(n int, _ string) (int, []byte, bool) {
			return status, body, slices.Contains(calls, n)
		}
	}
	tests := []struct {
		name        string
		syms        []string
		script      func(int, string) (int, []byte, bool)
		crumbScript func(int) (int, []byte, bool)
		wantMsgs    int
		wantFailed  map[string]string
		wantCrumbs  int
		minWait     time.Duration
	}{
		{name: "invalid crumb then success", syms: []string{"AAPL"}, wantMsgs: 4, wantCrumbs: 2,
			script: at(401, read("invalid_crumb.json"), 0)},
		{name: "invalid crumb twice", syms: []string{"AAPL"}, wantCrumbs: 2,
			script:     at(401, read("invalid_crumb.json"), 0, 1),
			wantFailed: map[string]string{"AAPL": "Invalid Crumb"}},
		{name: "crumb endpoint throttled once", syms: []string{"AAPL"}, wantMsgs: 4, wantCrumbs: 2,
			crumbScript: func(n int) (int, []byte, bool) { return 429, read("too_many_requests.txt"), n == 0 },
			minWait:     2 * time.Second},
		{name: "storm of 429s", syms: []string{"AAPL"}, wantMsgs: 4, wantCrumbs: 1,
			script:  at(429, read("too_many_requests.txt"), 0, 1, 2, 3),
			minWait: (2 + 4 + 8 + 16) * time.Second},
		{name: "429 until giving up", syms: []string{"AAPL", "MSFT"}, wantMsgs: 4, wantCrumbs: 1,
			script: func(n int, sym string) (int, []byte, bool) {
				return 429, read("too_many_requests.txt"), sym == "AAPL"
			},
			wantFailed: map[string]string{"AAPL": "gave up after 6 attempts"}},
		{name: "unknown symbol", syms: []string{"ZZZZ", "AAPL"}, wantMsgs: 4, wantCrumbs: 1,
			wantFailed: map[string]string{"ZZZZ": "No data found"}},
		{name: "empty result", syms: []string{"AAPL"}, wantCrumbs: 1,
			script:     at(200, read("empty_result.json"), 0),
			wantFailed: map[string]string{"AAPL": "empty result"}},
		{name: "malformed once", syms: []string{"AAPL"}, wantMsgs: 4, wantCrumbs: 1,
			script: at(200, read("malformed.json"), 0)},
		{name: "one expiration fails", syms: []string{"AAPL"}, wantMsgs: 3, wantCrumbs: 1,
			script:     at(404, read("not_found.json"), 2),
			wantFailed: map[string]string{"AAPL": "expiration 2026-12-18"}},
		{name: "server error once", syms: []string{"AAPL"}, wantMsgs: 4, wantCrumbs: 1,
			script: at(503, []byte("upstream unavailable"), 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := clock.NewManual(snapshot)
			fake, client := newFake(t, clock)
			fake.Script, fake.CrumbScript = tc.script, tc.crumbScript
			src := newSource(client, clock)
			var out sink
			err := src.Fetch(t.Context(), ingest.NewTask(ingest.Options, snapshot, snapshot, tc.syms...), out.emit)
			if len(tc.wantFailed) == 0 && err != nil {
				t.Fatal(err)
			}
			if len(tc.wantFailed) > 0 {
				ie, ok := ingest.AsIncomplete(err)
				if !ok {
					t.Fatalf("error %v, want IncompleteError", err)
				}
				for sym, reason := range tc.wantFailed {
					if !strings.Contains(ie.Failed[sym], reason) {
						t.Errorf("%s failed with %q, want %q", sym, ie.Failed[sym], reason)
					}
				}
				if len(ie.Failed) != len(tc.wantFailed) {
					t.Errorf("failed %v, want %v", ie.Failed, tc.wantFailed)
				}
			}
			if len(out.raws) != tc.wantMsgs {
				t.Errorf("%d messages, want %d", len(out.raws), tc.wantMsgs)
			}
			if fake.Crumbs() != tc.wantCrumbs {
				t.Errorf("%d crumbs fetched, want %d", fake.Crumbs(), tc.wantCrumbs)
			}
			if waited := clock.Now().Sub(snapshot); waited < tc.minWait {
				t.Errorf("waited %v, want at least %v", waited, tc.minWait)
			}
		})
	}
}

func TestPacing(t *testing.T) {
	clock := clock.NewManual(snapshot)
	fake, client := newFake(t, clock)
	src := newSource(client, clock)
	src.Pool = NewPacing(3)
	var out sink
	if err := src.Fetch(t.Context(), ingest.NewTask(ingest.Options, snapshot, snapshot, "AAPL", "MSFT"), out.emit); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	for _, a := range calls {
		n := 0
		for _, b := range calls {
			if !b.At.Before(a.At) && b.At.Sub(a.At) < time.Minute {
				n++
			}
		}
		if n > 3 {
			t.Fatalf("%d calls within a minute of %v, pace is 3", n, a.At)
		}
	}
	if took := clock.Now().Sub(snapshot); took < 2*time.Minute {
		t.Errorf("8 calls at 3 a minute took %v", took)
	}
}

func TestRerunIsIdentical(t *testing.T) {
	clock := clock.NewManual(snapshot)
	_, client := newFake(t, clock)
	src := newSource(client, clock)
	task := ingest.NewTask(ingest.Options, snapshot, snapshot, "AAPL", "MSFT")
	var a, b sink
	if err := src.Fetch(t.Context(), task, a.emit); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // a re-delivery comes later; the snapshot instant stays the task's
	if err := src.Fetch(t.Context(), task, b.emit); err != nil {
		t.Fatal(err)
	}
	if len(a.raws) != len(b.raws) || len(a.raws) == 0 {
		t.Fatalf("%d then %d messages", len(a.raws), len(b.raws))
	}
	for i := range a.raws {
		if string(a.raws[i].Value) != string(b.raws[i].Value) ||
			header(a.raws[i], stream.HeaderSnapshot) != header(b.raws[i], stream.HeaderSnapshot) {
			t.Errorf("message %d differs between deliveries", i)
		}
	}
}

func TestOnlyOptions(t *testing.T) {
	src := newSource(&Client{}, clock.NewManual(snapshot))
	if err := src.Fetch(t.Context(), ingest.NewTask(ingest.Daily, snapshot, snapshot), nil); err == nil {
		t.Error("a daily task was accepted")
	}
}
