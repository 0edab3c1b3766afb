package load

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

// exposition is a lag histogram of the ordering subscription as the shop
// writes it: count samples below 1 ms, 10 ms and 100 ms, cumulatively.
func exposition(below1, below10, below100 int, sum float64) string {
	return fmt.Sprintf(`# HELP shop_bus_delivery_lag_seconds Lag.
# TYPE shop_bus_delivery_lag_seconds histogram
shop_bus_delivery_lag_seconds_bucket{subscription="ordering",le="0.001"} %d
shop_bus_delivery_lag_seconds_bucket{subscription="ordering",le="0.01"} %d
shop_bus_delivery_lag_seconds_bucket{subscription="ordering",le="0.1"} %d
shop_bus_delivery_lag_seconds_bucket{subscription="ordering",le="+Inf"} %d
shop_bus_delivery_lag_seconds_sum{subscription="ordering"} %g
shop_bus_delivery_lag_seconds_count{subscription="ordering"} %d
`, below1, below10, below100, below100, sum, below100)
}

func TestBusLag(t *testing.T) {
	scrapes := []string{exposition(10, 10, 10, 0.005), exposition(10, 110, 110, 0.505)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(scrapes[0]))
		scrapes = scrapes[1:]
	}))
	defer srv.Close()
	before, err := scrapeLag(context.Background(), srv.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	after, err := scrapeLag(context.Background(), srv.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got := busLag(before, after)
	// 100 new samples, all between 1 and 10 ms, summing 0.5 s.
	if len(got) != 1 || got[0].Subscription != "ordering" || got[0].Count != 100 || math.Abs(got[0].MeanMs-5) > 1e-9 {
		t.Fatalf("busLag = %+v, want ordering: 100 events, mean 5 ms", got)
	}
	for name, c := range map[string]struct{ got, want float64 }{
		"p50": {got[0].P50Ms, 5.5}, "p95": {got[0].P95Ms, 9.55}, "p99": {got[0].P99Ms, 9.91},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v ms, want %v (interpolated within 1–10 ms)", name, c.got, c.want)
		}
	}
}

func TestQuantileInTheInfBucket(t *testing.T) {
	if got := quantile(0.99, []float64{0.1, math.Inf(1)}, []uint64{0, 5}); got != 0.1 {
		t.Errorf("quantile beyond the last bound = %v, want that bound 0.1", got)
	}
}
