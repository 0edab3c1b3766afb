package load

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power-of-two range of values
// is split into 2^(subBits-1) equal buckets, so a recorded value is off by at
// most 1/2^(subBits-1) ≈ 1.6 % of itself — ample for latency, at a fixed
// and tiny cost per record.
const subBits = 7

const half = 1 << (subBits - 1)

// Histogram is an HDR-style, log-bucketed histogram of durations, kept in
// whole microseconds. Buckets grow on demand, so a histogram that only saw
// millisecond latencies stays a few kilobytes. It is not safe for concurrent
// use; callers lock around it.
type Histogram struct {
	counts []int64
	n      int64
	sum    int64
	min    int64
	max    int64
}

// bucket maps a value to its bucket index: values below 2·half have a bucket
// each, above that the top subBits bits pick the bucket.
func bucket(v int64) int {
	if v < 2*half {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits // v>>e lies in [half, 2·half)
	return (e+1)*half + int(v>>e) - half
}

// lowest returns the smallest value that falls into bucket i.
func lowest(i int) int64 {
	if i < 2*half {
		return int64(i)
	}
	e := i/half - 1
	return int64(i%half+half) << e
}

// Record adds one duration, rounded down to whole microseconds.
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d/time.Microsecond), 0)
	i := bucket(v)
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]int64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.n++
	h.sum += v
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]int64, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.n }

// Max is the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) * time.Microsecond }

// Mean is the average recorded value.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum/h.n) * time.Microsecond
}

// Quantile returns the value at quantile q (0–1): the upper edge of the
// bucket holding the ⌈q·n⌉-th smallest value, capped at the exact maximum,
// so a reported percentile never understates.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(h.n))), 1)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(lowest(i+1)-1, h.max)) * time.Microsecond
		}
	}
	return h.Max()
}
