package transform

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

func fuzzCleaner() *Cleaner {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	return &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(now)}
}

// checkRejects requires a reason and the original payload of every reject.
func checkRejects(t *testing.T, res Result, data []byte) {
	t.Helper()
	for _, r := range res.Rejects {
		if r.Reason == "" || len(r.Payload) == 0 && len(data) > 0 {
			t.Fatalf("reject without reason or payload: %+v", r)
		}
	}
}

// checkBar holds an accepted bar to the validation rules.
func checkBar(t *testing.T, c *Cleaner, px [4]float64, vol int64, ts time.Time, intraday bool) {
	t.Helper()
	for _, p := range px {
		if !(p > 0) || math.IsInf(p, 0) {
			t.Fatalf("accepted price %v", px)
		}
	}
	if px[high] < math.Max(px[open], px[closePx]) || px[low] > math.Min(px[open], px[closePx]) {
		t.Fatalf("accepted inconsistent OHLC %v", px)
	}
	if vol < 0 {
		t.Fatalf("accepted volume %d", vol)
	}
	if c.future(ts) {
		t.Fatalf("accepted future bar %s", ts)
	}
	if intraday && !c.Calendar.InSession(ts) || !intraday && !c.Calendar.IsTradingDay(ts) {
		t.Fatalf("accepted bar outside the calendar %s", ts)
	}
}

// FuzzDecodeTimeSeries runs any bytes through the bar topics' decoder and
// cleaner: nothing panics, every accepted bar obeys the rules, every listed
// value is accounted for (accepted, rejected with a reason and its payload,
// or dropped as a duplicate), and keys are unique.
func FuzzDecodeTimeSeries(f *testing.F) {
	f.Add([]byte(`{"meta":{"symbol":"AAPL","interval":"1day"},"values":[{"datetime":"2026-11-27","open":"1","high":"2","low":"0.5","close":"1.5","volume":"10"},{"datetime":"2026-11-24","open":"1","high":"2","low":"0.5","close":"","volume":""}],"status":"ok"}`))
	f.Add([]byte(`{"meta":{"symbol":"brk-b","interval":"15min"},"values":[{"datetime":"2026-11-27 12:30:00","open":"1","high":"2","low":"0.5","close":"1.5","volume":"10"},{"datetime":"2026-11-27 09:30:00","open":"1","high":"1","low":"1","close":"1","volume":"1"}],"status":"ok"}`))
	f.Add([]byte(`{"code":429,"message":"later","status":"error"}`))
	f.Add([]byte(`{`))
	c := fuzzCleaner()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, topic := range []string{stream.DailyData, stream.IntradayData} {
			res, err := c.Clean(topic, data, "")
			if err != nil {
				t.Fatal(err)
			}
			checkRejects(t, res, data)
			if res.Dataset == nil {
				continue
			}
			seen := map[time.Time]bool{}
			imputed := 0
			visit := func(sym string, ts time.Time, px [4]float64, vol int64, imp bool) {
				if seen[ts] {
					t.Fatalf("key %s twice", ts)
				}
				seen[ts] = true
				if sym != market.CanonicalSymbol(sym) {
					t.Fatalf("symbol %q is not canonical", sym)
				}
				checkBar(t, c, px, vol, ts, topic == stream.IntradayData)
				if imp {
					imputed++
				}
			}
			switch rows := res.Rows.(type) {
			case []market.DailyBar:
				for _, b := range rows {
					visit(b.Symbol, b.Date, [4]float64{b.Open, b.High, b.Low, b.Close}, b.Volume, b.Imputed)
				}
			case []market.IntradayBar:
				for _, b := range rows {
					visit(b.Symbol, b.TS, [4]float64{b.Open, b.High, b.Low, b.Close}, b.Volume, b.Imputed)
				}
			}
			if imputed < res.Report.GapBars {
				t.Fatalf("%d gap bars but %d rows flagged imputed", res.Report.GapBars, imputed)
			}
			ts, err := wire.DecodeTimeSeries(data)
			if err != nil || len(res.Rejects) == 1 && res.N == 0 && (res.Rejects[0].Reason == ReasonBadSymbol || res.Rejects[0].Reason == ReasonDecode) {
				continue
			}
			if got := res.N - res.Report.GapBars + len(res.Rejects) + res.Report.Deduplicated; got != len(ts.Values) {
				t.Fatalf("%d values listed, %d accounted for (%d rows, %d gap bars, %d rejects, %d duplicates)",
					len(ts.Values), got, res.N, res.Report.GapBars, len(res.Rejects), res.Report.Deduplicated)
			}
		}
	})
}

// FuzzDecodeOptionChain runs any bytes through the option topic's decoder,
// cleaner and smile builder: nothing panics, accepted quotes obey the rules,
// and every listed contract is accounted for.
func FuzzDecodeOptionChain(f *testing.F) {
	f.Add([]byte(`{"optionChain":{"result":[{"underlyingSymbol":"AAPL","quote":{"regularMarketPrice":230,"regularMarketTime":1795204800},"options":[{"calls":[{"contractSymbol":"AAPL261218C00230000","strike":230,"bid":7.2,"ask":7.6,"expiration":1797552000}],"puts":[{"contractSymbol":"AAPL261218P00230000","strike":230,"bid":6.7,"ask":7,"expiration":1797552000}]}]}]}}`), "2026-11-20T20:00:00Z")
	f.Add([]byte(`{"optionChain":{"result":[{"underlyingSymbol":"BRK-B","quote":{"regularMarketPrice":470},"options":[{"calls":[{"contractSymbol":"BRKB261218C00470000","strike":470,"bid":15,"ask":14}]}]}]}}`), "2026-11-20T20:00:00Z")
	f.Add([]byte(`{"optionChain":{"result":[],"error":{"code":"Not Found","description":"none"}}}`), "")
	c := fuzzCleaner()
	f.Fuzz(func(t *testing.T, data []byte, snapshot string) {
		res, err := c.Clean(stream.OptionData, data, snapshot)
		if err != nil {
			t.Fatal(err)
		}
		checkRejects(t, res, data)
		if res.Dataset == nil {
			return
		}
		quotes := res.Rows.([]market.OptionQuote)
		seen := map[string]bool{}
		for _, q := range quotes {
			if seen[q.ContractSymbol] {
				t.Fatalf("contract %s twice", q.ContractSymbol)
			}
			seen[q.ContractSymbol] = true
			if !(q.Strike > 0) || q.Bid < 0 || q.Ask < 0 || q.Bid > q.Ask || q.Expiration.Before(market.DateOf(q.SnapshotTS)) {
				t.Fatalf("accepted invalid quote %+v", q)
			}
			if occ, err := ParseOCC(q.ContractSymbol); err != nil || occ.Type != q.Type {
				t.Fatalf("accepted contract %s: %v", q.ContractSymbol, err)
			}
			if !math.IsNaN(q.IV) && !(q.IV >= 0 && q.IV <= 10) {
				t.Fatalf("implied volatility %v", q.IV)
			}
		}
		for _, s := range res.Smiles {
			if s.Points <= 0 || !strings.HasPrefix(s.Smile, "[") {
				t.Fatalf("smile %+v", s)
			}
		}
		oc, err := wire.DecodeOptionChain(data)
		if err != nil || len(res.Rejects) == 1 && res.N == 0 && res.Rejects[0].Reason == ReasonBadSymbol {
			return
		}
		listed := 0
		for _, s := range oc.Options {
			listed += len(s.Calls) + len(s.Puts)
		}
		if got := res.N + len(res.Rejects) + res.Report.Deduplicated; got != listed {
			t.Fatalf("%d contracts listed, %d accounted for", listed, got)
		}
	})
}

// occRE is the expression ParseOCC once was, and answers as.
var occRE = regexp.MustCompile(`^([A-Z0-9]{1,6})(\d{6})([CP])(\d{8})$`)

// parseOCCRE is ParseOCC by occRE: the reference FuzzParseOCC holds it to.
func parseOCCRE(s string) (OCC, error) {
	m := occRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return OCC{}, fmt.Errorf("contract symbol %q is not ROOT+YYMMDD+C|P+STRIKE(8)", s)
	}
	exp, err := time.Parse("060102", m[2])
	if err != nil {
		return OCC{}, fmt.Errorf("contract symbol %q: expiration: %w", s, err)
	}
	k, _ := strconv.Atoi(m[4])
	t := market.Call
	if m[3] == "P" {
		t = market.Put
	}
	return OCC{Root: m[1], Expiration: exp, Type: t, Strike: float64(k) / 1000}, nil
}

// FuzzParseOCC checks that ParseOCC answers as the regular expression it
// replaced, errors included, and that a symbol it accepts formats back to
// itself.
func FuzzParseOCC(f *testing.F) {
	for _, s := range []string{"AAPL261218C00230000", "BRKB261218P00470000", "AAPL1261218C00230500", "X260116P00000500", "AAPL 261218C235", "",
		"AAPL260230C00150000", "AAPL261318C00150000", "AAPL261200C00150000", "A700101P99999999", " SPY991231C00001000\t", "ABCDEFG261218C00150000",
		"aapl261218C00150000", "AAPL261218X00150000", "AAPL26121８C00150000", "AAPL280229P00150000", "AAPL270229P00150000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOCC(s)
		ro, rerr := parseOCCRE(s)
		if fmt.Sprint(err) != fmt.Sprint(rerr) || o != ro {
			t.Fatalf("ParseOCC(%q) = %+v, %v; the expression gives %+v, %v", s, o, err, ro, rerr)
		}
		if err != nil {
			return
		}
		kind := "C"
		if o.Type == market.Put {
			kind = "P"
		}
		back := fmt.Sprintf("%s%s%s%08d", o.Root, o.Expiration.Format("060102"), kind, int64(math.Round(o.Strike*1000)))
		if back != strings.TrimSpace(s) {
			t.Fatalf("ParseOCC(%q) = %+v, which formats as %q", s, o, back)
		}
		if o.Strike < 0 || o.Expiration.Hour() != 0 || o.Expiration.Location() != time.UTC {
			t.Fatalf("ParseOCC(%q) = %+v", s, o)
		}
	})
}
