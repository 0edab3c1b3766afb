package main_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// scrape is one read of the operator listener's /metrics.
type scrape struct {
	text     string
	families map[string]*dto.MetricFamily
}

// mustScrape reads /metrics from shop's operator listener.
func mustScrape(t *testing.T, shop *shoptest.Shop) scrape {
	t.Helper()
	res, err := http.Get(shop.AdminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v\n%s", res.StatusCode, err, b)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q, want the Prometheus text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, b)
	}
	return scrape{text: string(b), families: fams}
}

// value is a counter's or gauge's value, or a histogram's sample count, of
// the series of name with exactly these labels ("k=v" pairs); 0 when absent.
func (s scrape) value(name string, labels ...string) float64 {
	for _, m := range s.families[name].GetMetric() {
		var got []string
		for _, lp := range m.GetLabel() {
			got = append(got, lp.GetName()+"="+lp.GetValue())
		}
		if strings.Join(got, ",") != strings.Join(labels, ",") {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

// promtoolCheck runs promtool check metrics over a scrape.
func promtoolCheck(t *testing.T, s scrape) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), testenv.Promtool(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(s.text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestMetrics checks that known requests move the metrics as expected on
// the embedded store and local bus, and that a scrape after that traffic
// passes promtool.
func TestMetrics(t *testing.T) {
	shop := shoptest.Start(t, bin, "SHOP_DATA_DIR="+t.TempDir(), "SHOP_ADMIN_ADDR=127.0.0.1:0")
	metricsMove(t, shop)
}

// TestMetricsAWSMode is the same against DynamoDB, EventBridge and SQS, the
// binary polling its queues as on ECS.
func TestMetricsAWSMode(t *testing.T) {
	env, _, _ := awsEnv(t)
	shop := shoptest.Start(t, bin, append(env, "SHOP_SQS_POLL=true", "SHOP_ADMIN_ADDR=127.0.0.1:0")...)
	metricsMove(t, shop)
}

func metricsMove(t *testing.T, shop *shoptest.Shop) {
	t.Helper()
	if r := shop.Do(t, "GET", "/metrics", nil); r.Status != http.StatusNotFound {
		t.Errorf("/metrics on the public port: got %d, want 404", r.Status)
	}
	user := "metrics"
	phone := mustProduct(t, shop, "Metered phone", "100")
	shop.As(t, user).Must(t, http.StatusCreated, "POST", "/basket",
		fmt.Sprintf(`{"userName":%q,"items":[{"productId":%q,"quantity":2}]}`, user, phone))
	awaitTotal(t, shop, user, "200") // the product event reached the basket's price list

	before := mustScrape(t, shop)
	const n = 7
	for range n {
		shop.Must(t, http.StatusOK, "GET", "/product/"+phone, nil)
	}
	shop.Must(t, http.StatusNotFound, "GET", "/product/00000000-0000-7000-8000-000000000000", nil)
	shop.Must(t, http.StatusNotFound, "GET", "/no/such/route", nil)
	shop.As(t, user).Must(t, http.StatusAccepted, "POST", "/basket/checkout", checkoutRequest(user))
	shoptest.Eventually(t, 30*time.Second, func() bool { return len(userOrders(t, shop, user)) == 1 }, "no order appeared")

	var after scrape
	delta := func(name string, labels ...string) float64 {
		return after.value(name, labels...) - before.value(name, labels...)
	}
	// The order is readable before the handler's success is counted, and
	// the relay forgets a published event just after the bus accepted it.
	shoptest.Eventually(t, 10*time.Second, func() bool {
		after = mustScrape(t, shop)
		return delta("shop_bus_delivered_events_total", "subscription=ordering") >= 1 &&
			after.value("shop_outbox_pending_events", "outbox=basket") == 0
	}, "the checkout's delivery counted and the basket's outbox empty")

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"shop_http_requests_total", []string{"route=/product/{id}", "status_class=2xx"}, n},
		{"shop_http_requests_total", []string{"route=/product/{id}", "status_class=4xx"}, 1},
		{"shop_http_requests_total", []string{"route=unmatched", "status_class=4xx"}, 1},
		{"shop_http_requests_total", []string{"route=/basket/checkout", "status_class=2xx"}, 1},
		{"shop_http_request_duration_seconds", []string{"route=/product/{id}"}, n + 1},
		{"shop_store_operation_duration_seconds", []string{"module=product", "operation=get"}, n + 1},
		{"shop_store_operation_duration_seconds", []string{"module=basket", "operation=check_out"}, 1},
		{"shop_store_operation_duration_seconds", []string{"module=ordering", "operation=create"}, 1},
		{"shop_bus_published_events_total", []string{"detail_type=CheckoutBasket"}, 1},
		{"shop_bus_delivered_events_total", []string{"subscription=ordering"}, 1},
		{"shop_bus_delivery_lag_seconds", []string{"subscription=ordering"}, 1},
		{"shop_bus_failed_attempts_total", []string{"subscription=ordering"}, 0},
		{"shop_bus_dead_lettered_events_total", []string{"subscription=ordering"}, 0},
	} {
		if got := delta(c.name, c.labels...); got != c.want {
			t.Errorf("%s{%s} rose by %v, want %v", c.name, strings.Join(c.labels, ","), got, c.want)
		}
	}
	for _, ob := range []string{"outbox=basket", "outbox=product"} {
		if got := after.value("shop_outbox_pending_events", ob); got != 0 {
			t.Errorf("shop_outbox_pending_events{%s} = %v, want 0 once relayed", ob, got)
		}
		if got := after.value("shop_outbox_oldest_event_age_seconds", ob); got != 0 {
			t.Errorf("shop_outbox_oldest_event_age_seconds{%s} = %v, want 0 for an empty outbox", ob, got)
		}
	}
	// The scrape itself is in flight while it is read: none but it is.
	if got := after.value("shop_http_requests_in_flight"); got != 0 {
		t.Errorf("shop_http_requests_in_flight = %v, want 0 (the admin listener is not counted)", got)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total"} {
		if _, ok := after.families[name]; !ok {
			t.Errorf("%s missing from the scrape", name)
		}
	}
	promtoolCheck(t, after)
}
