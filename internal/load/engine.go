package load

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// op is one iteration of a scenario, due at sched. The first request of an
// iteration is timed from sched, so that in a fixed-rate run a server that
// falls behind shows its backlog in the latencies (no coordinated
// omission); requests that depend on an earlier one are timed from when
// they are sent.
type op func(ctx context.Context, rnd *rand.Rand, sched time.Time)

// pace says how a run issues iterations.
type pace struct {
	Workers  int
	Rate     float64 // iterations per second; 0 runs closed-loop, flat out
	Duration time.Duration
	N        int64 // iterations at most; 0 = no limit but Duration
}

// drive runs fn under p and returns how long the run took.
//
// Open loop (Rate > 0): iteration i is due at start + i/Rate whatever
// happened before; a free worker takes the next one, and if all workers are
// busy it starts late and its latency includes the wait. Closed loop: each
// worker starts its next iteration as soon as the previous one ends.
func drive(ctx context.Context, p pace, fn op) time.Duration {
	start := time.Now()
	deadline := start.Add(p.Duration)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range p.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(w)))
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if p.N > 0 && i >= p.N {
					return
				}
				sched := time.Now()
				if p.Rate > 0 {
					sched = start.Add(time.Duration(float64(i) / p.Rate * float64(time.Second)))
					if !sched.Before(deadline) {
						return
					}
					if !sleepUntil(ctx, sched) {
						return
					}
				} else if !sched.Before(deadline) {
					return
				}
				fn(ctx, rnd, sched)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// sleepUntil waits for t and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
