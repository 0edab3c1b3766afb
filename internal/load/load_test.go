package load_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/load"
	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/auth"
)

func TestHistogramQuantiles(t *testing.T) {
	var h load.Histogram
	for i := 1; i <= 100000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, q := range []float64{.5, .9, .99, .999} {
		got, want := h.Quantile(q), time.Duration(q*100000)*time.Microsecond
		if got < want || float64(got-want) > 0.02*float64(want) {
			t.Errorf("Quantile(%v) = %v, want %v within +2%%", q, got, want)
		}
	}
	if got, want := h.Max(), 100*time.Millisecond; got != want {
		t.Errorf("Max = %v, want %v", got, want)
	}
	var m load.Histogram
	m.Merge(&h)
	m.Merge(&h)
	if got, want := m.Count(), int64(200000); got != want {
		t.Errorf("merged Count = %d, want %d", got, want)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://127.5.6.7", "http://localhost:1", "http://[::1]:8080"} {
		if err := load.CheckLoopback(u); err != nil {
			t.Errorf("CheckLoopback(%s) = %v, want nil", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.com", "https://127.0.0.1", "http://0.0.0.0:8080", "http://[::]:80"} {
		if err := load.CheckLoopback(u); err == nil {
			t.Errorf("CheckLoopback(%s) = nil, want a refusal", u)
		}
	}
}

// result is the part of the JSON output the test reads.
type result struct {
	Routes []struct {
		Route  string `json:"route"`
		Count  int64  `json:"count"`
		Errors int64  `json:"errors"`
	} `json:"routes"`
	Errors   int64 `json:"errors"`
	Checkout struct {
		Ran      bool `json:"ran"`
		Accepted int  `json:"accepted"`
		Verified int  `json:"verified"`
		OK       bool `json:"ok"`
	} `json:"checkout"`
	BusLag []struct {
		Subscription string  `json:"subscription"`
		Count        int     `json:"count"`
		P99Ms        float64 `json:"p99Ms"`
	} `json:"busLag"`
}

// TestMixAgainstTheBinary runs the mix for about two seconds against the real
// binary and reads back the JSON it wrote, with the bus's delivery lag read
// from the shop's /metrics.
func TestMixAgainstTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the shop binary")
	}
	dir := t.TempDir()
	bin, err := shoptest.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	shop := shoptest.Start(t, bin, "SHOP_DATA_DIR="+dataDir, "SHOP_ADMIN_ADDR=127.0.0.1:0")
	out := filepath.Join(dir, "results.json")
	var stdout, stderr bytes.Buffer
	// 200 iterations at 100/s: a checkout is one iteration in twenty, so
	// the chance of a run without one is 0.95^200, about 1 in 30,000.
	code := load.Main(context.Background(), []string{"-url", shop.URL, "-metrics-url", shop.AdminURL, "-data-dir", dataDir, "-rate", "100", "-n", "200", "-duration", "10s",
		"-c", "4", "-seed-products", "40", "-seed-c", "4", "-users", "20", "-out", out, "-chart", filepath.Join(dir, "chart.svg")},
		&stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rt := range r.Routes {
		seen[rt.Route] = rt.Count > 0
		if rt.Errors != 0 {
			t.Errorf("route %s: %d errors, want 0", rt.Route, rt.Errors)
		}
	}
	for _, want := range []string{"GET /product/{id}", "POST /basket", "POST /basket/checkout", "checkout→order"} {
		if !seen[want] {
			t.Errorf("route %q missing from the results: %s", want, fmt.Sprint(seen))
		}
	}
	if c := r.Checkout; !c.Ran || c.Accepted == 0 || c.Verified != c.Accepted || !c.OK {
		t.Errorf("checkout verification %+v: want ran, some accepted, all verified", c)
	}
	lag := map[string]int{}
	for _, l := range r.BusLag {
		lag[l.Subscription] = l.Count
		if l.P99Ms <= 0 {
			t.Errorf("bus lag of %s: p99 %v ms, want a positive figure", l.Subscription, l.P99Ms)
		}
	}
	// The relay may publish a checkout twice (at-least-once), never less.
	if lag["ordering"] < r.Checkout.Accepted || lag["basket"] == 0 {
		t.Errorf("bus lag counts %v: want ordering ≥ %d accepted checkouts and some basket deliveries", lag, r.Checkout.Accepted)
	}
	if !strings.Contains(stdout.String(), "bus delivery lag, ordering") {
		t.Errorf("stdout has no bus delivery lag line:\n%s", &stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "chart.svg")); err != nil {
		t.Errorf("chart: %v", err)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := load.Main(context.Background(), []string{"-url", "http://192.0.2.1:8080", "-n", "1"}, &stdout, &stderr); code != 2 {
		t.Errorf("exit code %d, want 2; stderr %s", code, &stderr)
	}
}

func TestNeedsTheShopsKey(t *testing.T) {
	// Nothing listens on port 1: both runs must stop before any request.
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"NoDataDir":    {[]string{"-scenario", "mix"}, "pass -data-dir"},
		"NoKeyInDir":   {[]string{"-scenario", "checkout", "-data-dir", t.TempDir()}, "holds no " + auth.DevKeyFile},
		"SeedingNeeds": {[]string{"-scenario", "get-product"}, "pass -data-dir"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := load.Main(context.Background(), append([]string{"-url", "http://127.0.0.1:1", "-n", "1"}, tc.args...), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit code %d, stderr %q; want 2 and %q", code, &stderr, tc.want)
			}
		})
	}
}
