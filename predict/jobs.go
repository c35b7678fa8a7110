package predict

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/lake"
)

// Fine-tune job records live in the lake's store beside the model
// versions, so every predictor replica answers for every job. Objects are
// written once, never overwritten, as everything in the store: a job is a
// sequence of state records models/jobs/<id>/<seq>.json, each created only
// if absent, and its state is the newest. One lock object,
// models/jobs/_running.json, created only if absent, names the job that
// runs; its trainer deletes it when the job ends. A lock whose job has not
// reported for longer than the stale age (its replica died) is taken over.

// jobIDPattern is the shape of the ids StartFineTune hands out; anything
// else is no job, and never reaches a store key.
var jobIDPattern = regexp.MustCompile(`^ft-[0-9a-f]{12}$`)

func (r *Registry) jobDir(id string) string { return path.Join(r.prefix(), "jobs", id) + "/" }

func (r *Registry) jobLock() string { return path.Join(r.prefix(), "jobs", "_running.json") }

// PutJob writes state number seq of job j.
func (r *Registry) PutJob(ctx context.Context, j Job, seq int) error {
	b, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode job %s: %w", j.ID, err)
	}
	key := r.jobDir(j.ID) + fmt.Sprintf("%06d.json", seq)
	created, err := r.Store.PutIfAbsent(ctx, key, b)
	if err != nil {
		return fmt.Errorf("write job %s: %w", j.ID, err)
	}
	if !created {
		return fmt.Errorf("write job %s: state %d already written", j.ID, seq)
	}
	return nil
}

// Job reads a job's newest state; ok is false when there is no such job.
func (r *Registry) Job(ctx context.Context, id string) (j Job, ok bool, err error) {
	if !jobIDPattern.MatchString(id) {
		return j, false, nil
	}
	for attempt := 0; attempt < 3; attempt++ {
		keys, err := r.Store.List(ctx, r.jobDir(id))
		if err != nil {
			return j, false, fmt.Errorf("list job %s: %w", id, err)
		}
		newest, best := "", -1
		for _, k := range keys {
			if n, err := strconv.Atoi(strings.TrimSuffix(path.Base(k), ".json")); err == nil && n > best {
				newest, best = k, n
			}
		}
		if newest == "" {
			return j, false, nil
		}
		b, err := r.Store.Get(ctx, newest)
		if errors.Is(err, lake.ErrNotFound) {
			continue // pruned after the listing: list again
		}
		if err != nil {
			return j, false, fmt.Errorf("read job %s: %w", id, err)
		}
		if err := json.Unmarshal(b, &j); err != nil {
			return j, false, fmt.Errorf("decode %s: %w", newest, err)
		}
		return j, true, nil
	}
	return j, false, fmt.Errorf("read job %s: its states keep changing", id)
}

// pruneJob deletes a finished job's states older than the last, keepLast.
func (r *Registry) pruneJob(ctx context.Context, id string, keepLast int) error {
	for seq := range keepLast {
		if err := r.Store.Delete(ctx, r.jobDir(id)+fmt.Sprintf("%06d.json", seq)); err != nil && !errors.Is(err, lake.ErrNotFound) {
			return err
		}
	}
	return nil
}

type jobLock struct {
	Job string `json:"job"`
}

// lockJob makes id the running job unless another live one is: it
// returns that job, and ErrBusy, when one is. A lock whose job has
// finished, or has reported nothing for stale, is removed and taken.
func (r *Registry) lockJob(ctx context.Context, id string, now time.Time, stale time.Duration) (*Job, error) {
	b, err := json.Marshal(jobLock{Job: id})
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 2; attempt++ {
		created, err := r.Store.PutIfAbsent(ctx, r.jobLock(), b)
		if err != nil {
			return nil, fmt.Errorf("lock fine-tune: %w", err)
		}
		if created {
			return nil, nil
		}
		var held jobLock
		raw, err := r.Store.Get(ctx, r.jobLock())
		if errors.Is(err, lake.ErrNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read fine-tune lock: %w", err)
		}
		if err := json.Unmarshal(raw, &held); err != nil {
			return nil, fmt.Errorf("decode fine-tune lock: %w", err)
		}
		j, ok, err := r.Job(ctx, held.Job)
		if err != nil {
			return nil, err
		}
		if ok && j.Status == JobRunning && now.Sub(j.Updated) < stale {
			return &j, ErrBusy
		}
		// Finished, never written or abandoned: take it over. Two replicas
		// taking over one abandoned lock at once may both start, which
		// commits two versions and harms nothing.
		if err := r.Store.Delete(ctx, r.jobLock()); err != nil && !errors.Is(err, lake.ErrNotFound) {
			return nil, fmt.Errorf("remove stale fine-tune lock: %w", err)
		}
	}
	return nil, fmt.Errorf("lock fine-tune: %w", ErrBusy)
}

// unlockJob releases the lock if id holds it.
func (r *Registry) unlockJob(ctx context.Context, id string) error {
	raw, err := r.Store.Get(ctx, r.jobLock())
	if errors.Is(err, lake.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var held jobLock
	if err := json.Unmarshal(raw, &held); err != nil || held.Job != id {
		return err
	}
	return r.Store.Delete(ctx, r.jobLock())
}
