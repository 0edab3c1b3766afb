package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// outboxDepthMetric is the shop's gauge of events waiting in an outbox.
const outboxDepthMetric = "shop_outbox_pending_events"

// drainPoll is how often the harness asks whether the event work drained.
const drainPoll = 100 * time.Millisecond

// backlog is one scrape's view of the event work still to do.
type backlog struct {
	pending   float64 // events in the outboxes
	delivered uint64  // events handled by every subscription, ever
}

// scrapeBacklog reads the outboxes' depth and the handled-event count.
func scrapeBacklog(ctx context.Context, client *http.Client, metricsURL string) (backlog, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL+"/metrics", nil)
	if err != nil {
		return backlog{}, err
	}
	res, err := client.Do(req)
	if err != nil {
		return backlog{}, fmt.Errorf("scrape %s/metrics: %w", metricsURL, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, res.Body)
		return backlog{}, fmt.Errorf("scrape %s/metrics: %s", metricsURL, res.Status)
	}
	tp := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := tp.TextToMetricFamilies(res.Body)
	if err != nil {
		return backlog{}, fmt.Errorf("scrape %s/metrics: %w", metricsURL, err)
	}
	var b backlog
	for _, m := range fams[outboxDepthMetric].GetMetric() {
		b.pending += m.GetGauge().GetValue()
	}
	for _, m := range fams[lagMetric].GetMetric() {
		b.delivered += m.GetHistogram().GetSampleCount()
	}
	return b, nil
}

// awaitDrained waits until the event work the run caused is done: every
// outbox empty, and no subscription handled another event between two
// scrapes drainPoll apart (the local bus has no depth gauge; a handler
// still working through a backlog shows as a growing handled count). It
// returns when that was first seen, or ok false after timeout.
func awaitDrained(ctx context.Context, client *http.Client, metricsURL string, timeout time.Duration) (at time.Time, ok bool, err error) {
	deadline := time.Now().Add(timeout)
	prev, err := scrapeBacklog(ctx, client, metricsURL)
	if err != nil {
		return time.Time{}, false, err
	}
	prevAt := time.Now()
	for time.Now().Before(deadline) {
		if !sleepUntil(ctx, time.Now().Add(drainPoll)) {
			return time.Time{}, false, ctx.Err()
		}
		cur, err := scrapeBacklog(ctx, client, metricsURL)
		if err != nil {
			return time.Time{}, false, err
		}
		if prev.pending == 0 && cur.pending == 0 && cur.delivered == prev.delivered {
			// Drained at the earlier scrape: nothing happened since.
			return prevAt, true, nil
		}
		prev, prevAt = cur, time.Now()
	}
	return time.Time{}, false, nil
}
