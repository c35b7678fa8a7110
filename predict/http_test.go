package predict

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/humatest"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/serve"
)

const adminKey = "predict-test-admin"

// newTestAPI serves svc's routes mounted on the api server, as up does,
// over the shared lake, with a model registry of its own.
func newTestAPI(t *testing.T, svc *Service) humatest.TestAPI {
	t.Helper()
	models, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return newReplicaAPI(t, svc, models)
}

// newReplicaAPI is newTestAPI with the model registry in models, which
// several replicas may share.
func newReplicaAPI(t *testing.T, svc *Service, models lake.Store) humatest.TestAPI {
	t.Helper()
	eng := sharedLake(t)
	clk := clock.NewManual(testNow)
	svc.Lake, svc.Registry, svc.Clock = eng, &Registry{Store: models, Clock: clk}, clk
	m := metrics.New()
	if err := svc.Register(m.Registry); err != nil {
		t.Fatal(err)
	}
	srv := &serve.Server{Engine: eng, Lake: testStore, Metrics: m, Clock: clock.NewManual(testNow),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Config: serve.Config{AdminKeys: serve.Secrets{adminKey}},
		Mount: []func(huma.API){func(api huma.API) { svc.Routes(api, serve.AdminOnly()) }}}
	_, api := srv.Handler()
	return humatest.Wrap(t, api)
}

func decode[T any](t *testing.T, body io.Reader) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPredictRoute(t *testing.T) {
	api := newTestAPI(t, &Service{})
	resp := api.Get("/api/v1/predict/aapl?horizon=7")
	if resp.Code != 200 {
		t.Fatalf("%d %s", resp.Code, resp.Body)
	}
	raw := resp.Body.String()
	f := decode[Forecast](t, resp.Body)
	if f.Symbol != "AAPL" || len(f.Points) != 7 || f.Model != (ModelRef{Name: EWMA, Version: "v0"}) || f.LastDate != testDay.Format(time.DateOnly) {
		t.Fatalf("forecast %+v", f)
	}
	if _, closeT, _ := market.NYSE().Session(testDay); f.AsOf.Before(closeT) {
		t.Errorf("asOf %s before the last session's close", f.AsOf)
	}
	prevWidth := 0.0
	for i, p := range f.Points {
		if !(p.Q05 < p.Q25 && p.Q25 < p.Q50 && p.Q50 < p.Q75 && p.Q75 < p.Q95) || !(p.Vol > 0.05 && p.Vol < 2) || p.Step != i+1 {
			t.Errorf("point %+v", p)
		}
		if w := p.Q95 - p.Q05; w <= prevWidth {
			t.Errorf("step %d: the 90%% band (%.2f) is not wider than the step before (%.2f)", p.Step, w, prevWidth)
		} else {
			prevWidth = w
		}
	}
	if f.Points[0].Date != market.NYSE().NextTradingDay(testDay).Format(time.DateOnly) {
		t.Errorf("first date %s", f.Points[0].Date)
	}
	if len(f.ATMIV) == 0 || len(f.ATMIV) > 2 {
		t.Fatalf("ATM IV of the matching expiries: %+v", f.ATMIV)
	}
	if last := f.ATMIV[len(f.ATMIV)-1]; last.Expiration < f.Points[6].Date || !(last.IV > 0.05) {
		t.Errorf("matching expiry %+v does not reach the horizon %s", last, f.Points[6].Date)
	}
	for _, key := range []string{`"asOf"`, `"lastClose"`, `"q05"`, `"atmIv"`, `"expiration"`, `"days"`, `"vol"`, `"model":{"name":"ewma","version":"v0"}`} {
		if !strings.Contains(raw, key) {
			t.Errorf("answer lacks %s: %s", key, raw)
		}
	}
	legacy := api.Get("/predict?symbol=AAPL&horizon=7")
	if legacy.Code != 200 || legacy.Body.String() != raw {
		t.Errorf("GET /predict answers %d %s, want the v1 body", legacy.Code, legacy.Body)
	}
	// JPM has no chain in the lake: no implied volatility, still a forecast.
	jpm := api.Get("/api/v1/predict/JPM")
	if f := decode[Forecast](t, jpm.Body); jpm.Code != 200 || len(f.Points) != 5 || f.ATMIV == nil || len(f.ATMIV) != 0 {
		t.Errorf("JPM: %d %+v", jpm.Code, f)
	}
}

func TestPredictErrors(t *testing.T) {
	api := newTestAPI(t, &Service{})
	short := newTestAPI(t, &Service{MinSessions: 1000})
	for _, tc := range []struct {
		name string
		api  humatest.TestAPI
		path string
		code int
		says string
	}{
		{"unknown symbol", api, "/api/v1/predict/ZZZZ", 404, "no daily bars of ZZZZ"},
		{"unknown symbol, legacy", api, "/predict?symbol=ZZZZ", 404, "no daily bars of ZZZZ"},
		{"no symbol, legacy", api, "/predict", 422, "symbol"},
		{"horizon 0", api, "/api/v1/predict/AAPL?horizon=0", 422, "expected number >= 1"},
		{"horizon 21", api, "/api/v1/predict/AAPL?horizon=21", 422, "expected number <= 20"},
		{"horizon not a number", api, "/api/v1/predict/AAPL?horizon=x", 422, "horizon"},
		{"too little history", short, "/api/v1/predict/AAPL", 422, "needs at least 1000"},
		{"unknown job", api, "/api/v1/models/jobs/nope", 404, "no such job"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.api.Get(tc.path)
			if resp.Code != tc.code || !strings.Contains(resp.Body.String(), tc.says) {
				t.Errorf("%d %s, want %d saying %q", resp.Code, resp.Body, tc.code, tc.says)
			}
			if ct := resp.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
		})
	}
}

// waitJob polls a job until it leaves running (bounded, not timed: the
// bound only stops a hung test).
func waitJob(t *testing.T, api humatest.TestAPI, id string) Job {
	t.Helper()
	for range 6000 {
		resp := api.Get("/api/v1/models/jobs/" + id)
		if resp.Code != 200 {
			t.Fatalf("job %s: %d %s", id, resp.Code, resp.Body)
		}
		j := decode[Job](t, resp.Body)
		if j.Status != JobRunning {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s still running", id)
	return Job{}
}

func TestFineTuneRoutes(t *testing.T) {
	release := make(chan struct{})
	svc := &Service{}
	svc.Train = func(ctx context.Context, p Progress) (Meta, map[string]*Model, error) {
		<-release
		return svc.train(ctx, p)
	}
	api := newTestAPI(t, svc)
	key := "X-API-Key: " + adminKey
	for _, tc := range []struct {
		name, path string
		headers    []any
		code       int
	}{
		{"no key", "/api/v1/models/fine-tune", nil, 401},
		{"not an admin key", "/api/v1/models/fine-tune", []any{"X-API-Key: nope"}, 403},
		{"no key, legacy", "/fine_tune", nil, 401},
	} {
		if resp := api.Post(tc.path, tc.headers...); resp.Code != tc.code || resp.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.Code, resp.Body, tc.code)
		}
	}
	resp := api.Post("/api/v1/models/fine-tune", key)
	if resp.Code != 202 {
		t.Fatalf("fine-tune: %d %s", resp.Code, resp.Body)
	}
	job := decode[Job](t, resp.Body)
	if job.Status != JobRunning || job.ID == "" {
		t.Fatalf("job %+v", job)
	}
	for _, path := range []string{"/api/v1/models/fine-tune", "/fine_tune"} {
		second := api.Post(path, key)
		if second.Code != 409 || !strings.Contains(second.Body.String(), job.ID) || second.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s while one runs: %d %s", path, second.Code, second.Body)
		}
	}
	close(release)
	done := waitJob(t, api, job.ID)
	if done.Status != JobSucceeded || done.Version != "v1" || done.Progress != 1 {
		t.Fatalf("job %+v", done)
	}
	models := api.Get("/api/v1/models")
	if models.Code != 200 {
		t.Fatalf("models: %d %s", models.Code, models.Body)
	}
	raw := models.Body.String()
	rep := decode[ModelsReport](t, strings.NewReader(raw))
	if rep.Serving.Version != "v1" || rep.Reason == "" || len(rep.Models) != len(Candidates)+len(Baselines) {
		t.Fatalf("models %s", raw)
	}
	serving := 0
	for _, m := range rep.Models {
		if m.Serving {
			serving++
			if m.Name != rep.Serving.Name {
				t.Errorf("%s marked serving, %s serves", m.Name, rep.Serving.Name)
			}
		}
		if m.TrainFrom == "" || m.TrainTo != testDay.Format(time.DateOnly) || (m.Name != ImpliedVol && m.Metrics.N == 0) {
			t.Errorf("model %+v", m)
		}
		if _, ok := m.Baselines["ewma"]; !ok {
			t.Errorf("%s lacks the EWMA baseline", m.Name)
		}
	}
	if serving != 1 {
		t.Errorf("%d models serve", serving)
	}
	for _, key := range []string{`"qlike"`, `"mse"`, `"pinball"`, `"cover50"`, `"cover90"`, `"randomWalk"`, `"impliedVol"`, `"trainedAt"`} {
		if !strings.Contains(raw, key) {
			t.Errorf("models lack %s", key)
		}
	}
	// The new version serves the next forecast.
	f := decode[Forecast](t, api.Get("/api/v1/predict/MSFT").Body)
	if f.Model.Version != "v1" {
		t.Errorf("forecast from %+v after v1 was committed", f.Model)
	}

	// A failed training commits nothing and leaves v1 serving.
	svc.Train = func(context.Context, Progress) (Meta, map[string]*Model, error) {
		return Meta{}, nil, errors.New("the lake went away")
	}
	resp = api.Post("/fine_tune", key)
	if resp.Code != 202 {
		t.Fatalf("fine-tune: %d %s", resp.Code, resp.Body)
	}
	failed := waitJob(t, api, decode[Job](t, resp.Body).ID)
	if failed.Status != JobFailed || !strings.Contains(failed.Message, "the lake went away") {
		t.Errorf("failed job %+v", failed)
	}
	if name, v := svc.Serving(); v != "v1" || name != rep.Serving.Name {
		t.Errorf("after a failed training %s %s serves", name, v)
	}
	if v, _ := svc.Registry.LatestVersion(context.Background()); v != "v1" {
		t.Errorf("registry's newest version %s", v)
	}
}

// The nightly fine-tune (RunFineTune, as tickerlake fine-tune runs it)
// takes the lock a fine-tune started over HTTP holds: while one runs on a
// replica, the night's run is refused with that job, and once it ends the
// night's run trains as a job the jobs route reports.
func TestNightlyFineTuneTakesTheJobLock(t *testing.T) {
	models, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	a, night := &Service{}, &Service{}
	a.Train = func(ctx context.Context, p Progress) (Meta, map[string]*Model, error) {
		p(0.5, "half way")
		<-release
		return a.train(ctx, p)
	}
	apiA := newReplicaAPI(t, a, models)
	newReplicaAPI(t, night, models)
	resp := apiA.Post("/api/v1/models/fine-tune", "X-API-Key: "+adminKey)
	if resp.Code != 202 {
		t.Fatalf("fine-tune over HTTP: %d %s", resp.Code, resp.Body)
	}
	id := decode[Job](t, resp.Body).ID
	held, err := night.RunFineTune(context.Background(), nil)
	if !errors.Is(err, ErrBusy) || held == nil || held.ID != id {
		t.Fatalf("night's run while %s runs: %+v, %v", id, held, err)
	}
	close(release)
	if j := waitJob(t, apiA, id); j.Status != JobSucceeded || j.Version != "v1" {
		t.Fatalf("HTTP job: %+v", j)
	}
	var steps []string
	var job *Job
	for range 500 {
		// The lock goes just after the job's final state is written.
		if job, err = night.RunFineTune(context.Background(), func(_ float64, msg string) { steps = append(steps, msg) }); !errors.Is(err, ErrBusy) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || job.Status != JobSucceeded || job.Version != "v2" || len(steps) == 0 {
		t.Fatalf("night's run after the HTTP job: %+v, %v, %d progress steps", job, err, len(steps))
	}
	if j := waitJob(t, apiA, job.ID); j.Status != JobSucceeded || j.Version != "v2" {
		t.Errorf("night's job as the jobs route reports it: %+v", j)
	}
}

// Two predictor replicas on one store, as behind the Ingress: a job
// started on one is answered by the other, the other refuses a second
// fine-tune while it runs, and a job whose replica died is reported as
// abandoned and its lock taken over.
func TestJobsAnswerOnEveryReplica(t *testing.T) {
	models, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	a, b := &Service{}, &Service{}
	a.Train = func(ctx context.Context, p Progress) (Meta, map[string]*Model, error) {
		p(0.5, "half way")
		<-release
		return a.train(ctx, p)
	}
	apiA, apiB := newReplicaAPI(t, a, models), newReplicaAPI(t, b, models)
	key := "X-API-Key: " + adminKey
	resp := apiA.Post("/api/v1/models/fine-tune", key)
	if resp.Code != 202 {
		t.Fatalf("fine-tune on a: %d %s", resp.Code, resp.Body)
	}
	id := decode[Job](t, resp.Body).ID
	// b answers for a's job while it runs, progress included.
	for range 500 {
		resp = apiB.Get("/api/v1/models/jobs/" + id)
		if resp.Code != 200 {
			t.Fatalf("job %s on b: %d %s", id, resp.Code, resp.Body)
		}
		if decode[Job](t, resp.Body).Message == "half way" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if j := decode[Job](t, apiB.Get("/api/v1/models/jobs/"+id).Body); j.Status != JobRunning || j.Progress != 0.5 {
		t.Errorf("job on b while it runs on a: %+v", j)
	}
	if second := apiB.Post("/fine_tune", key); second.Code != 409 || !strings.Contains(second.Body.String(), id) {
		t.Errorf("fine-tune on b while a runs %s: %d %s", id, second.Code, second.Body)
	}
	close(release)
	done := waitJob(t, apiB, id)
	if done.Status != JobSucceeded || done.Version != "v1" || done.Finished == nil {
		t.Fatalf("job on b after a finished: %+v", done)
	}
	if err := b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, v := b.Serving(); v != "v1" {
		t.Errorf("b serves %s", v)
	}
	// Finished: the lock is released and the job's older states pruned
	// (just after its final state is written).
	var keys []string
	for range 500 {
		if keys, err = models.List(context.Background(), "models/jobs/"); err != nil {
			t.Fatal(err)
		}
		if len(keys) == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(keys) != 1 {
		t.Errorf("job objects after the job ended: %v", keys)
	}
	for _, bad := range []string{"ft-000000000000", "ft-..%2F..%2Fmodels", "nope"} {
		if r := apiB.Get("/api/v1/models/jobs/" + bad); r.Code != 404 || r.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("job %s: %d %s", bad, r.Code, r.Body)
		}
	}

	// A replica died mid-job: its lock and its last state stay behind.
	dead := Job{ID: "ft-0123456789ab", Status: JobRunning, Message: "walk-forward block 3 of 12", Started: testNow.Add(-time.Hour), Updated: testNow.Add(-time.Hour)}
	if err := b.Registry.PutJob(context.Background(), dead, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := models.PutIfAbsent(context.Background(), "models/jobs/_running.json", []byte(`{"job":"ft-0123456789ab"}`)); err != nil {
		t.Fatal(err)
	}
	if j := decode[Job](t, apiA.Get("/api/v1/models/jobs/"+dead.ID).Body); j.Status != JobFailed || !strings.Contains(j.Message, "abandoned") {
		t.Errorf("a dead replica's job: %+v", j)
	}
	b.Train = func(context.Context, Progress) (Meta, map[string]*Model, error) {
		return Meta{}, nil, errors.New("no lake today")
	}
	resp = apiB.Post("/api/v1/models/fine-tune", key)
	if resp.Code != 202 {
		t.Fatalf("fine-tune over an abandoned lock: %d %s", resp.Code, resp.Body)
	}
	if j := waitJob(t, apiA, decode[Job](t, resp.Body).ID); j.Status != JobFailed || !strings.Contains(j.Message, "no lake today") {
		t.Errorf("job %+v", j)
	}
}
