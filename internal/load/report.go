package load

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// WriteTable prints r for people.
func WriteTable(w io.Writer, r *Result) {
	mode := "closed loop (flat out)"
	if r.Rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f iterations/s (latency from the scheduled send)", r.Rate)
	}
	if r.Startup == nil {
		fmt.Fprintf(w, "scenario %s against %s, %d workers, %s, %.1fs\n", r.Scenario, r.URL, r.Workers, mode, r.ElapsedSeconds)
	}
	if s := r.Seed; s != nil && s.Existing {
		fmt.Fprintf(w, "read %d existing products in %.1fs\n", s.Products, s.Seconds)
	} else if s != nil && s.Products > 0 {
		fmt.Fprintf(w, "seeded %d products in %.1fs: %.0f writes/s with %d workers, %d errors\n", s.Products, s.Seconds, s.PerSecond, s.Workers, s.Errors)
	}
	if len(r.Routes) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "route\tcount\tok/s\terrors\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
		for _, rt := range r.Routes {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", rt.Route, rt.Count, rt.PerSecond, rt.Errors,
				rt.Latency.P50, rt.Latency.P95, rt.Latency.P99, rt.Latency.Max)
		}
		tw.Flush()
		for _, rt := range r.Routes {
			if rt.Errors > 0 {
				fmt.Fprintf(w, "errors on %s: %v; first: %s\n", rt.Route, rt.ErrorKinds, rt.FirstError)
			}
		}
	}
	if c := r.Checkout; c != nil {
		verdict := "OK"
		if !c.OK {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "checkout → order check %s: %d accepted, %d exactly one order with the right total, %d missing, %d duplicated, %d wrong total, %d bad receipts\n",
			verdict, c.Accepted, c.Verified, c.Missing, c.Duplicate, c.WrongTotal, c.BadReceipt)
		if len(c.Problems) > 0 {
			fmt.Fprintf(w, "  %s\n", strings.Join(c.Problems, "\n  "))
		}
	}
	for _, l := range r.BusLag {
		fmt.Fprintf(w, "bus delivery lag, %s (event time → handled, the shop's own histogram): %d events, mean %.2f ms, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n",
			l.Subscription, l.Count, l.MeanMs, l.P50Ms, l.P95Ms, l.P99Ms)
	}
	if c := r.Ceiling; c != nil {
		fmt.Fprintf(w, "%s: shop %.0f/s, bare chi %.0f/s: %.0f%% of the ceiling\n", c.Route, c.ShopPerSecond, c.BarePerSecond, 100*c.Ratio)
	}
	if s := r.Server; s != nil {
		writeServer(w, s)
	}
	if m := r.RSS; m != nil {
		fmt.Fprintf(w, "server pid %d: max RSS %.1f MiB (anonymous %.1f MiB; the rest is mapped bbolt file pages) over %d samples\n",
			m.PID, float64(m.MaxKB)/1024, float64(m.MaxAnonKB)/1024, len(m.Samples))
	}
	if s := r.Startup; s != nil {
		fmt.Fprintf(w, "exec → /readyz 200 over %d starts: min %.1f ms, median %.1f ms, max %.1f ms\n", s.Runs, s.MinMs, s.MedianMs, s.MaxMs)
	}
}

// WriteJSON writes r to path.
func WriteJSON(path string, r *Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeServer prints what the run cost the server process.
func writeServer(w io.Writer, s *ServerResult) {
	fmt.Fprintf(w, "server pid %d CPU (utime+stime): %.0f µs per request over %d requests to the run's end", s.PID, s.CPUPerRequestUs, s.Requests)
	if s.Drained {
		fmt.Fprintf(w, "; %.0f µs with the event work, drained %.1f s after the end\n", s.CPUPerRequestDrainedUs, s.DrainSeconds)
	} else {
		fmt.Fprintln(w, "; event work not awaited or not drained within -drain-timeout")
	}
	if s.DynamoDB != "" {
		fmt.Fprintf(w, "connections to DynamoDB %s: %d new (%.1f per 1,000 requests), %d open at the end\n", s.DynamoDB, s.NewConnections, s.NewPer1000, s.OpenAtEnd)
	}
}
