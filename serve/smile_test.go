package serve

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tickerlake/tickerlake/market"
)

// TestSmileIsTheStoredIVSmile: every smile of the surface is the row the
// processor stored in iv_smile, point for point (strike, side and IV), so
// out of the money is measured from the forward, as transform measures it.
// Strikes between the spot and the forward tell the two definitions apart,
// and the test requires some.
func TestSmileIsTheStoredIVSmile(t *testing.T) {
	_, api := newTestServer(t, Config{})
	_, eng := sharedLake(t)
	var surface SurfaceOutput
	resp := api.Get("/api/v1/options/AAPL/surface")
	if resp.Code != 200 {
		t.Fatalf("surface: %d %s", resp.Code, resp.Body)
	}
	if err := json.Unmarshal(resp.Body.Bytes(), &surface.Body); err != nil {
		t.Fatal(err)
	}
	res, err := eng.Query(context.Background(), `SELECT strftime(expiration, '%Y-%m-%d'), forward, underlying_price, smile
		FROM iv_smile WHERE symbol = 'AAPL' AND snapshot_ts = ?`, 0, surface.Body.SnapshotTS)
	if err != nil {
		t.Fatal(err)
	}
	type stored struct {
		forward, spot float64
		points        map[float64]market.SmilePoint
	}
	rows := map[string]stored{}
	for _, r := range res.Rows {
		var pts []market.SmilePoint
		if err := json.Unmarshal([]byte(r[3].(string)), &pts); err != nil {
			t.Fatal(err)
		}
		st := stored{forward: r[1].(float64), spot: r[2].(float64), points: map[float64]market.SmilePoint{}}
		for _, p := range pts {
			st.points[p.Strike] = p
		}
		rows[r[0].(string)] = st
	}
	if len(surface.Body.Smiles) == 0 || len(surface.Body.Smiles) != len(rows) {
		t.Fatalf("surface has %d smiles, iv_smile %d rows", len(surface.Body.Smiles), len(rows))
	}
	between := 0 // strikes where spot and forward pick different sides
	for _, sm := range surface.Body.Smiles {
		st, ok := rows[sm.Expiration]
		if !ok {
			t.Fatalf("smile %s is not stored", sm.Expiration)
		}
		if sm.Forward == nil || *sm.Forward != st.forward {
			t.Errorf("%s: forward %v, stored %v", sm.Expiration, sm.Forward, st.forward)
		}
		if len(sm.Points) != len(st.points) {
			t.Errorf("%s: %d points, stored %d", sm.Expiration, len(sm.Points), len(st.points))
		}
		for _, p := range sm.Points {
			want, ok := st.points[p.Strike]
			if !ok {
				t.Errorf("%s: strike %g is not in the stored smile", sm.Expiration, p.Strike)
				continue
			}
			if p.IV == nil || *p.IV != want.IV || p.OptionType != string(want.Type) {
				t.Errorf("%s strike %g: iv %v (%s), stored %g (%s)", sm.Expiration, p.Strike, p.IV, p.OptionType, want.IV, want.Type)
			}
			if (p.Strike < st.spot) != (p.Strike < st.forward) {
				between++
			}
		}
	}
	if between == 0 {
		t.Fatal("no strike lies between spot and forward: the test cannot tell the definitions apart")
	}
	t.Logf("%d smiles, %d strikes between spot and forward", len(surface.Body.Smiles), between)
}
