package metrics

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	dto "github.com/prometheus/client_model/go"
)

// Push sends s's tickerlake_ metrics to the Prometheus Pushgateway at url,
// replacing what the group job=job held: a job that exits before any
// scrape (the compact CronJob) leaves its last run's metrics there, which
// Prometheus scrapes with honor_labels. The Go and process metrics stay
// behind: they would describe a process that is gone.
func (s *Set) Push(ctx context.Context, url, job string) error {
	own := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		fams, err := s.Registry.Gather()
		kept := fams[:0]
		for _, f := range fams {
			if strings.HasPrefix(f.GetName(), "tickerlake_") {
				kept = append(kept, f)
			}
		}
		return kept, err
	})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := push.New(url, job).Gatherer(own).Client(&http.Client{}).PushContext(ctx)
	if err != nil {
		return fmt.Errorf("push metrics to %s: %w", url, err)
	}
	return nil
}
