package predict

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
)

// Service serves forecasts from the serving version and runs fine-tunes.
type Service struct {
	Lake     Lake
	Registry *Registry
	Calendar *market.Calendar // default market.NYSE()
	Config   Config
	Log      *slog.Logger
	Clock    clock.Clock // default the system clock
	// CacheTTL is how long a symbol's features are reused (default 30s):
	// bars arrive daily and every 15 minutes.
	CacheTTL time.Duration
	// Poll is how often the registry is checked for a newer version
	// (default 10s).
	Poll time.Duration
	// MinSessions is the history a forecast needs (default 60).
	MinSessions int
	// AutoTrain starts a fine-tune from Run when no version is committed
	// yet, at most once every AutoTrainEvery (default 1m) until one is:
	// `tickerlake up` fills a fresh lake and then has a model.
	AutoTrain      bool
	AutoTrainEvery time.Duration
	// JobStale is how long a running job may go without reporting before
	// it counts as abandoned, its replica gone (default 10m): the lock it
	// holds is taken over and its state reads as failed.
	JobStale time.Duration
	// Train replaces FineTune's training (tests make it fail).
	Train func(ctx context.Context, progress Progress) (Meta, map[string]*Model, error)

	initOnce sync.Once
	mu       sync.RWMutex
	meta     Meta
	models   map[string]*Model
	cache    map[string]*entry
	jobs     map[string]*Job
	running  string
	metrics  *serviceMetrics
	live     liveCoverage
}

type entry struct {
	mu   sync.Mutex
	at   time.Time
	s    *Series
	ind  Indicators
	err  error
	seen bool
}

// Job is a fine-tune's state.
type Job struct {
	ID       string     `json:"job"`
	Status   string     `json:"status"` // running, succeeded, failed
	Progress float64    `json:"progress"`
	Message  string     `json:"message"`
	Version  string     `json:"version,omitempty"`
	Started  time.Time  `json:"started"`
	Updated  time.Time  `json:"updated"` // the last report of its trainer
	Finished *time.Time `json:"finished,omitempty"`
}

// Job states.
const (
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// Errors the HTTP layer maps to status codes.
var (
	ErrUnknownSymbol = errors.New("unknown symbol")
	ErrBusy          = errors.New("a fine-tune is already running")
	ErrNoJob         = errors.New("no such job")
)

func (s *Service) init() {
	s.initOnce.Do(func() {
		if s.Calendar == nil {
			s.Calendar = market.NYSE()
		}
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
		if s.Clock == nil {
			s.Clock = clock.System{}
		}
		if s.CacheTTL <= 0 {
			s.CacheTTL = 30 * time.Second
		}
		if s.Poll <= 0 {
			s.Poll = 10 * time.Second
		}
		if s.MinSessions <= 0 {
			s.MinSessions = 60
		}
		if s.AutoTrainEvery <= 0 {
			s.AutoTrainEvery = time.Minute
		}
		if s.JobStale <= 0 {
			s.JobStale = 10 * time.Minute
		}
		s.cache = map[string]*entry{}
		s.jobs = map[string]*Job{}
		s.meta, s.models = builtin(s.Config)
		s.metrics = newServiceMetrics()
		s.live.pending = map[liveKey]bands{}
	})
}

// builtin is what serves before any version is committed: EWMA with
// normal quantiles.
func builtin(cfg Config) (Meta, map[string]*Model) {
	cfg.defaults()
	m := &Model{Name: EWMA, Lambda: cfg.Lambda, Z: [5]float64{-1.6449, -0.6745, 0, 0.6745, 1.6449}}
	return Meta{Version: "v0", Serving: EWMA, Reason: "no trained version is committed yet, so the EWMA baseline serves with normal quantiles; POST /api/v1/models/fine-tune trains one"},
		map[string]*Model{EWMA: m}
}

// Register adds the service's collectors to reg.
func (s *Service) Register(reg prometheus.Registerer) error {
	s.init()
	return s.metrics.register(reg)
}

// Serving names the serving model and version.
func (s *Service) Serving() (name, version string) {
	s.init()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.meta.Serving, s.meta.Version
}

// Sync loads the newest committed version if it is not the serving one.
func (s *Service) Sync(ctx context.Context) error {
	s.init()
	if s.Registry == nil {
		return nil
	}
	v, err := s.Registry.LatestVersion(ctx)
	if err != nil || v == "" {
		return err
	}
	if _, cur := s.Serving(); cur == v {
		return nil
	}
	meta, models, ok, err := s.Registry.Latest(ctx)
	if err != nil || !ok {
		return err
	}
	if models[meta.Serving] == nil || models[EWMA] == nil {
		return fmt.Errorf("model version %s lacks its serving model %s or the EWMA fallback", meta.Version, meta.Serving)
	}
	s.mu.Lock()
	s.meta, s.models = meta, models
	s.mu.Unlock()
	s.metrics.setServing(meta)
	s.Log.Info("serving model", "version", meta.Version, "model", meta.Serving)
	return nil
}

// Run follows the registry until ctx ends: every replica switches to a
// newly committed version within Poll.
func (s *Service) Run(ctx context.Context) error {
	s.init()
	s.metrics.setServing(s.meta)
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	var tried time.Time
	for {
		if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("load serving model", "err", err)
		}
		if _, v := s.Serving(); s.AutoTrain && v == "v0" && s.Clock.Now().Sub(tried) >= s.AutoTrainEvery {
			tried = s.Clock.Now()
			if j, err := s.StartFineTune(ctx); err == nil {
				s.Log.Info("no model version yet: fine-tune started", "job", j.ID)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Ready checks that the model registry answers.
func (s *Service) Ready(ctx context.Context) error {
	if s.Registry == nil {
		return nil
	}
	_, err := s.Registry.LatestVersion(ctx)
	return err
}

// series returns sym's features, reusing them for CacheTTL.
func (s *Service) series(ctx context.Context, sym string) (*Series, Indicators, error) {
	s.mu.Lock()
	e := s.cache[sym]
	if e == nil {
		e = &entry{}
		s.cache[sym] = e
	}
	s.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.Clock.Now()
	if e.seen && now.Sub(e.at) < s.CacheTTL {
		return e.s, e.ind, e.err
	}
	all, err := Load(ctx, s.Lake, s.Calendar, now, sym)
	if err != nil {
		return nil, Indicators{}, err
	}
	e.s, e.err, e.seen, e.at = all[sym], nil, true, now
	if e.s == nil {
		e.err = fmt.Errorf("%w: no daily bars of %s in the lake", ErrUnknownSymbol, sym)
	} else {
		e.ind = indicators(e.s)
		s.live.observe(e.s, s.metrics)
	}
	return e.s, e.ind, e.err
}

// Forecast is the answer of /api/v1/predict.
type Forecast struct {
	Symbol    string    `json:"symbol"`
	AsOf      time.Time `json:"asOf"`
	Model     ModelRef  `json:"model"`
	LastClose float64   `json:"lastClose"`
	LastDate  string    `json:"lastDate"`
	Points    []Point   `json:"points"`
	ATMIV     []ATMIV   `json:"atmIv"`
	// Note says what is not forecast, or that a fallback answered.
	Note string `json:"note,omitempty"`
}

// ModelRef names a model version.
type ModelRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Point is one session ahead.
type Point struct {
	Step int     `json:"step"`
	Date string  `json:"date"`
	Q05  float64 `json:"q05"`
	Q25  float64 `json:"q25"`
	Q50  float64 `json:"q50"`
	Q75  float64 `json:"q75"`
	Q95  float64 `json:"q95"`
	// Vol is the annualised volatility of the return from the last close
	// to this session's close.
	Vol float64 `json:"vol"`
}

// ATMIV is one expiration's at-the-money implied volatility.
type ATMIV struct {
	Expiration string  `json:"expiration"`
	Days       int     `json:"days"`
	IV         float64 `json:"iv"`
}

// Predict forecasts sym for horizon sessions from the serving model.
func (s *Service) Predict(ctx context.Context, sym string, horizon int) (*Forecast, error) {
	s.init()
	start := time.Now()
	sym = market.CanonicalSymbol(sym)
	if sym == "" {
		return nil, fmt.Errorf("%w: empty symbol", ErrUnknownSymbol)
	}
	ser, ind, err := s.series(ctx, sym)
	if err != nil {
		return nil, err
	}
	if ser.Len() < s.MinSessions {
		return nil, &HistoryError{Symbol: sym, Have: ser.Len(), Need: s.MinSessions}
	}
	s.mu.RLock()
	meta, m, fallback := s.meta, s.models[s.meta.Serving], s.models[EWMA]
	s.mu.RUnlock()
	out := &Forecast{Symbol: sym, AsOf: ser.AsOf, Model: ModelRef{Name: meta.Serving, Version: meta.Version},
		LastClose: ser.Close[ser.Len()-1], LastDate: ser.Dates[ser.Len()-1].Format(time.DateOnly), ATMIV: []ATMIV{},
		Note: "price quantiles come from the volatility forecast around an unchanged price: the direction of prices is not forecast"}
	v, err := m.Ahead(ser, ind, horizon)
	if err != nil {
		v, err = fallback.Ahead(ser, ind, horizon)
		if err != nil {
			return nil, err
		}
		m = fallback
		out.Model.Name = EWMA
		out.Note = fmt.Sprintf("%s has no fit for %s in %s, so the EWMA baseline answered; ", meta.Serving, sym, meta.Version) + out.Note
	}
	date := ser.Dates[ser.Len()-1]
	cum := 0.0
	for k, vk := range v {
		date = s.Calendar.NextTradingDay(date)
		cum += vk
		sd := math.Sqrt(cum)
		p := Point{Step: k + 1, Date: date.Format(time.DateOnly), Vol: math.Sqrt(cum * tradingDays / float64(k+1))}
		q := []*float64{&p.Q05, &p.Q25, &p.Q50, &p.Q75, &p.Q95}
		for i := range q {
			*q[i] = round(out.LastClose*math.Exp(sd*m.Z[i]), 4)
		}
		p.Vol = round(p.Vol, 6)
		out.Points = append(out.Points, p)
	}
	out.ATMIV = matchingExpiries(ser, date)
	s.live.record(sym, out.Points[0])
	s.metrics.latency.Observe(time.Since(start).Seconds())
	return out, nil
}

// matchingExpiries are the expirations of the newest snapshot that
// bracket the horizon's last session: the last before it and the first on
// or after it.
func matchingExpiries(ser *Series, end time.Time) []ATMIV {
	chain := append([]ExpiryIV(nil), ser.Chain...)
	sort.Slice(chain, func(i, j int) bool { return chain[i].Expiration.Before(chain[j].Expiration) })
	out := []ATMIV{}
	for i, e := range chain {
		if !e.Expiration.Before(end) {
			if i > 0 {
				out = append(out, atm(chain[i-1]))
			}
			return append(out, atm(e))
		}
	}
	if n := len(chain); n > 0 {
		out = append(out, atm(chain[n-1]))
	}
	return out
}

func atm(e ExpiryIV) ATMIV {
	return ATMIV{Expiration: e.Expiration.Format(time.DateOnly), Days: int(math.Round(e.Days)), IV: round(e.IV, 6)}
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// FineTune loads the whole universe as of now, evaluates every model
// walk-forward, fits them on all the data and commits a new version. The
// serving version changes only when the commit succeeds.
func (s *Service) FineTune(ctx context.Context, progress Progress) (Meta, error) {
	s.init()
	train := s.Train
	if train == nil {
		train = s.train
	}
	meta, models, err := train(ctx, progress)
	if err != nil {
		return Meta{}, err
	}
	if s.Registry == nil {
		return Meta{}, errors.New("no model registry to commit to")
	}
	v, err := s.Registry.Commit(ctx, meta, models)
	if err != nil {
		return Meta{}, err
	}
	meta.Version = v
	if err := s.Sync(ctx); err != nil {
		return meta, err
	}
	return meta, nil
}

// train is FineTune's default training: Evaluate, then FitAll on every
// session.
func (s *Service) train(ctx context.Context, progress Progress) (Meta, map[string]*Model, error) {
	if progress == nil {
		progress = func(float64, string) {}
	}
	now := s.Clock.Now()
	progress(0.01, "reading features from the lake")
	all, err := Load(ctx, s.Lake, s.Calendar, now)
	if err != nil {
		return Meta{}, nil, err
	}
	return Train(ctx, all, s.Config, now, progress)
}

// Train evaluates and fits every model on the series.
func Train(ctx context.Context, all map[string]*Series, cfg Config, now time.Time, progress Progress) (Meta, map[string]*Model, error) {
	cfg.defaults()
	var data []*Series
	for _, sym := range sortedKeys(all) {
		if all[sym].Len() > harMonth+30 {
			data = append(data, all[sym])
		}
	}
	if len(data) == 0 {
		return Meta{}, nil, &HistoryError{Need: cfg.MinSessions()}
	}
	ev, err := Evaluate(ctx, data, cfg, func(f float64, msg string) { progress(0.05+0.85*f, msg) })
	if err != nil {
		return Meta{}, nil, err
	}
	progress(0.92, "fitting every model on all the data")
	inds := make([]Indicators, len(data))
	ends := make([]int, len(data))
	for i, s := range data {
		inds[i], ends[i] = indicators(s), s.Len()-1
	}
	models, err := FitAll(ctx, data, inds, ends, cfg)
	if err != nil {
		return Meta{}, nil, err
	}
	grid := dateGrid(data)
	meta := Meta{TrainedAt: now.UTC(), TrainFrom: grid[0], TrainTo: grid[len(grid)-1], HeldOutFrom: ev.From, HeldOutTo: ev.To,
		Symbols: len(data), Serving: ev.Serving, Reason: ev.Reason, Metrics: ev.Metrics, Config: cfg}
	progress(0.97, "committing the version")
	return meta, models, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// StartFineTune starts a fine-tune in the background unless one runs,
// here or, when there is a Registry, on any replica sharing its store.
// The job's states go to the store as it runs, so any replica answers
// JobStatus for it.
func (s *Service) StartFineTune(ctx context.Context) (*Job, error) {
	j, _, err := s.startJob(ctx, nil)
	return j, err
}

// RunFineTune runs a fine-tune as a job, as StartFineTune does, and waits
// for it: the nightly command takes the same lock as a fine-tune started
// over HTTP, so the two never train at once. When one already runs it
// returns that job and ErrBusy. progress, when set, also hears the job's
// progress. It returns the finished job and the training's error; when
// ctx ends first it returns ctx's error and the job goes on until its
// replica exits (its lock then goes stale).
func (s *Service) RunFineTune(ctx context.Context, progress Progress) (*Job, error) {
	j, done, err := s.startJob(ctx, progress)
	if err != nil {
		return j, err
	}
	select {
	case <-ctx.Done():
		return j, ctx.Err()
	case res := <-done:
		return &res.job, res.err
	}
}

// jobResult is how a job ended.
type jobResult struct {
	job Job
	err error
}

// startJob starts a fine-tune job; done receives its end.
func (s *Service) startJob(ctx context.Context, progress Progress) (*Job, <-chan jobResult, error) {
	s.init()
	if progress == nil {
		progress = func(float64, string) {}
	}
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	if s.running != "" {
		j := *s.jobs[s.running]
		s.mu.Unlock()
		return &j, nil, ErrBusy
	}
	now := s.Clock.Now().UTC()
	j := &Job{ID: "ft-" + hex.EncodeToString(id[:]), Status: JobRunning, Message: "starting", Started: now, Updated: now}
	s.running = j.ID
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		s.running = ""
		s.mu.Unlock()
	}
	if s.Registry != nil {
		held, err := s.Registry.lockJob(ctx, j.ID, now, s.JobStale)
		if err == nil {
			if err = s.Registry.PutJob(ctx, *j, 0); err != nil {
				_ = s.Registry.unlockJob(context.WithoutCancel(ctx), j.ID)
			}
		}
		if err != nil {
			release()
			if held != nil {
				return held, nil, err
			}
			return nil, nil, err
		}
	}
	done := make(chan jobResult, 1)
	s.mu.Lock()
	s.jobs[j.ID] = j
	s.mu.Unlock()
	s.metrics.fineTunes.WithLabelValues(JobRunning).Inc()
	seq := 0
	// record stores the job's state; it runs on the training goroutine
	// only, so seq needs no lock.
	record := func(ctx context.Context, st Job) {
		if s.Registry == nil {
			return
		}
		seq++
		if err := s.Registry.PutJob(ctx, st, seq); err != nil {
			s.Log.Warn("fine-tune: record job state", "job", st.ID, "err", err)
		}
	}
	go func() {
		bg := context.WithoutCancel(ctx)
		meta, err := s.FineTune(bg, func(f float64, msg string) {
			s.mu.Lock()
			j.Progress, j.Message, j.Updated = round(f, 3), msg, s.Clock.Now().UTC()
			st := *j
			s.mu.Unlock()
			record(bg, st)
			progress(f, msg)
		})
		s.mu.Lock()
		fin := s.Clock.Now().UTC()
		j.Finished, j.Updated = &fin, fin
		if err != nil {
			j.Status, j.Message = JobFailed, err.Error()
		} else {
			j.Status, j.Progress, j.Version = JobSucceeded, 1, meta.Version
			j.Message = fmt.Sprintf("committed %s; %s serves: %s", meta.Version, meta.Serving, meta.Reason)
		}
		st := *j
		s.mu.Unlock()
		record(bg, st)
		defer func() { done <- jobResult{job: st, err: err} }()
		if s.Registry != nil {
			if uerr := s.Registry.unlockJob(bg, j.ID); uerr != nil {
				s.Log.Warn("fine-tune: release the lock", "job", j.ID, "err", uerr)
			}
			if perr := s.Registry.pruneJob(bg, j.ID, seq); perr != nil {
				s.Log.Warn("fine-tune: prune job states", "job", j.ID, "err", perr)
			}
		}
		release()
		if err != nil {
			s.metrics.fineTunes.WithLabelValues(JobFailed).Inc()
			var short *HistoryError
			if errors.As(err, &short) {
				// A young lake, not a fault: up retries as it fills.
				s.Log.Info("fine-tune", "job", j.ID, "err", err)
			} else {
				s.Log.Error("fine-tune", "job", j.ID, "err", err)
			}
			return
		}
		s.metrics.fineTunes.WithLabelValues(JobSucceeded).Inc()
		s.Log.Info("fine-tune", "job", j.ID, "version", meta.Version, "serving", meta.Serving)
	}()
	c := *j
	return &c, done, nil
}

// JobStatus returns a job's state: from the store when there is a
// Registry (whichever replica runs it), else from this replica. A running
// job that has not reported for JobStale reads as failed.
func (s *Service) JobStatus(ctx context.Context, id string) (*Job, error) {
	s.init()
	if s.Registry == nil {
		s.mu.RLock()
		defer s.mu.RUnlock()
		j, ok := s.jobs[id]
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrNoJob, id)
		}
		c := *j
		return &c, nil
	}
	j, ok, err := s.Registry.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrNoJob, id)
	}
	if j.Status == JobRunning && s.Clock.Now().Sub(j.Updated) >= s.JobStale {
		j.Status = JobFailed
		j.Message = fmt.Sprintf("abandoned: its trainer last reported at %s (%s), then stopped", j.Updated.Format(time.RFC3339), j.Message)
	}
	return &j, nil
}
