package main_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/shoptest"
)

// collector stands in for an OTLP/HTTP collector: it keeps what the shop
// exports to /v1/traces and answers with an empty (valid) response.
type collector struct {
	mu     sync.Mutex
	bodies [][]byte
}

func newCollector(t *testing.T) (*collector, string) {
	t.Helper()
	c := &collector{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" {
			c.mu.Lock()
			c.bodies = append(c.bodies, b)
			c.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return c, srv.URL
}

// exported reports whether some export held traceID (protobuf carries it
// as 16 raw bytes).
func (c *collector) exported(traceID string) bool {
	id, _ := hex.DecodeString(traceID)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.bodies {
		if bytes.Contains(b, id) {
			return true
		}
	}
	return false
}

// tracingEnv turns traces on, exported over OTLP/HTTP to c's URL quickly.
func tracingEnv(url string) []string {
	return []string{"OTEL_TRACES_EXPORTER=otlp", "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + url, "OTEL_BSP_SCHEDULE_DELAY=100", "OTEL_SERVICE_NAME=shop-e2e"}
}

// TestCheckoutTraceReachesOrdering sends a checkout with a traceparent and
// finds its trace id on the ordering module's log line for the order it
// made, over the local bus and over EventBridge and SQS; and the trace
// reaches the collector.
func TestCheckoutTraceReachesOrdering(t *testing.T) {
	t.Run("LocalBus", func(t *testing.T) {
		c, url := newCollector(t)
		checkoutTrace(t, shoptest.Start(t, bin, tracingEnv(url)...), c)
	})
	t.Run("AWS", func(t *testing.T) {
		env, _, _ := awsEnv(t)
		c, url := newCollector(t)
		checkoutTrace(t, shoptest.Start(t, bin, append(append(env, "SHOP_SQS_POLL=true"), tracingEnv(url)...)...), c)
	})
}

func checkoutTrace(t *testing.T, shop *shoptest.Shop, c *collector) {
	t.Helper()
	user := "traced"
	phone := mustProduct(t, shop, "Traced phone", "100")
	shop.As(t, user).Must(t, http.StatusCreated, "POST", "/basket",
		fmt.Sprintf(`{"userName":%q,"items":[{"productId":%q,"quantity":1}]}`, user, phone))
	awaitTotal(t, shop, user, "100")

	const traceID = "5af7651916cd43dd8448eb211c80319c"
	shop.WithHeader("traceparent", "00-"+traceID+"-b7ad6b7169203331-01").As(t, user).
		Must(t, http.StatusAccepted, "POST", "/basket/checkout", checkoutRequest(user))
	var orders []orderBody
	shoptest.Eventually(t, 30*time.Second, func() bool { orders = userOrders(t, shop, user); return len(orders) == 1 }, "no order appeared")

	var line map[string]any
	shoptest.Eventually(t, 10*time.Second, func() bool {
		for _, l := range strings.Split(shop.Log(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["message"] == "checkout ordered" && m["order_id"] == orders[0].OrderID {
				line = m
				return true
			}
		}
		return false
	}, "no ordering log line for order %s", orders[0].OrderID)
	if got := line["trace_id"]; got != traceID {
		t.Errorf("ordering's line for order %s: got trace_id %v, want %s\n%v", orders[0].OrderID, got, traceID, line)
	}
	if s, _ := line["span_id"].(string); len(s) != 16 {
		t.Errorf("ordering's line: got span_id %v, want 16 hex digits", line["span_id"])
	}
	shoptest.Eventually(t, 10*time.Second, func() bool { return c.exported(traceID) }, "trace %s never reached the collector", traceID)
}
