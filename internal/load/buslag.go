package load

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// lagMetric is the shop's histogram of event time → handled, per
// subscription (README, Operations, Metrics).
const lagMetric = "shop_bus_delivery_lag_seconds"

// BusLagResult is the bus's delivery lag over the measured run for one
// subscription, as the shop itself measured it: the difference of its
// lag histogram between a scrape of /metrics before the run and one after.
// Percentiles are interpolated within the histogram's buckets, as
// Prometheus's histogram_quantile does, so they are as fine as the buckets.
type BusLagResult struct {
	Subscription string  `json:"subscription"`
	Count        uint64  `json:"count"`
	MeanMs       float64 `json:"meanMs"`
	P50Ms        float64 `json:"p50Ms"`
	P95Ms        float64 `json:"p95Ms"`
	P99Ms        float64 `json:"p99Ms"`
}

// lagHist is one scrape of a subscription's lag histogram: cumulative
// counts by upper bound, ascending, +Inf last.
type lagHist struct {
	count   uint64
	sum     float64
	uppers  []float64
	cumulus []uint64
}

// scrapeLag reads the lag histograms from the shop's /metrics.
func scrapeLag(ctx context.Context, client *http.Client, metricsURL string) (map[string]lagHist, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s/metrics: %w", metricsURL, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil, fmt.Errorf("scrape %s/metrics: %s", metricsURL, res.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s/metrics: %w", metricsURL, err)
	}
	out := map[string]lagHist{}
	for _, m := range fams[lagMetric].GetMetric() {
		var sub string
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "subscription" {
				sub = lp.GetValue()
			}
		}
		h := m.GetHistogram()
		lh := lagHist{count: h.GetSampleCount(), sum: h.GetSampleSum()}
		for _, b := range h.GetBucket() {
			lh.uppers = append(lh.uppers, b.GetUpperBound())
			lh.cumulus = append(lh.cumulus, b.GetCumulativeCount())
		}
		if len(lh.uppers) == 0 || !math.IsInf(lh.uppers[len(lh.uppers)-1], 1) {
			lh.uppers, lh.cumulus = append(lh.uppers, math.Inf(1)), append(lh.cumulus, lh.count)
		}
		out[sub] = lh
	}
	return out, nil
}

// busLag turns two scrapes into the lag of what was delivered in between,
// for every subscription that delivered something.
func busLag(before, after map[string]lagHist) []BusLagResult {
	var out []BusLagResult
	for sub, a := range after {
		b := before[sub]
		n := a.count - b.count
		if n == 0 || a.count < b.count {
			continue
		}
		cum := slices.Clone(a.cumulus)
		if slices.Equal(a.uppers, b.uppers) {
			for i := range cum {
				cum[i] -= b.cumulus[i]
			}
		}
		q := func(p float64) float64 { return 1000 * quantile(p, a.uppers, cum) }
		out = append(out, BusLagResult{Subscription: sub, Count: n, MeanMs: 1000 * (a.sum - b.sum) / float64(n),
			P50Ms: q(0.5), P95Ms: q(0.95), P99Ms: q(0.99)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subscription < out[j].Subscription })
	return out
}

// quantile interpolates the p-quantile linearly within the bucket it falls
// in; in the +Inf bucket it is the highest finite bound.
func quantile(p float64, uppers []float64, cum []uint64) float64 {
	total := cum[len(cum)-1]
	rank := p * float64(total)
	for i, c := range cum {
		if float64(c) < rank {
			continue
		}
		if math.IsInf(uppers[i], 1) {
			if i == 0 {
				return 0
			}
			return uppers[i-1]
		}
		lower, below := 0.0, uint64(0)
		if i > 0 {
			lower, below = uppers[i-1], cum[i-1]
		}
		if c == below {
			return uppers[i]
		}
		return lower + (uppers[i]-lower)*(rank-float64(below))/float64(c-below)
	}
	return uppers[len(uppers)-1]
}
