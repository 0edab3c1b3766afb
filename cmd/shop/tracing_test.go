package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/testenv"
	"github.com/serverless-shop/shop/platform/tracing"
)

// TestCheckoutSpanTree checks the span tree of one checkout, recorded in
// memory: the request's server span (a child of the client's traceparent),
// the basket store's check-out under it, the publish of its event under it
// too, the ordering module's handling of that event under the publish and
// its store's create under the handling, all in the client's trace; and the
// ordering module's log line names the trace and its span, next to the
// bus's fields.
func TestCheckoutSpanTree(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadConfig([]string{"PORT=0", "SHOP_HOST=127.0.0.1", "SHOP_DATA_DIR=" + dir, "SHOP_LOG_LEVEL=info"})
	if err != nil {
		t.Fatal(err)
	}
	var logs testenv.LogBuffer
	m := NewMain(cfg, &logs)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	m.tracing = tracing.NewWith(tp, m.log)
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	key, err := auth.LoadDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := key.Mint(cfg.devAuth(), "ops", []string{"admin"}, time.Hour)
	user, _ := key.Mint(cfg.devAuth(), "ada", nil, time.Hour)
	do := func(method, path, token, body string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		m.srv.Handler.ServeHTTP(w, req)
		return w
	}
	w := do("POST", "/product", admin, `{"name":"Traced phone","price":10,"category":"Phone"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create product: %d %s", w.Code, w.Body)
	}
	id := strings.TrimPrefix(w.Header().Get("Location"), "/product/")
	if w := do("POST", "/basket", user, `{"items":[{"productId":"`+id+`","quantity":1}]}`); w.Code != http.StatusCreated {
		t.Fatalf("create basket: %d %s", w.Code, w.Body)
	}
	// The product event must reach the basket's price list first.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		w := do("GET", "/basket/ada", user, "")
		if strings.Contains(w.Body.String(), `"available":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the product never became available to the basket: %s", w.Body)
		}
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	if w := do("POST", "/basket/checkout", user,
		`{"userName":"ada","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","address":"London","paymentMethod":1,"cardInfo":"5554443322","totalPrice":0}`,
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01"); w.Code != http.StatusAccepted {
		t.Fatalf("checkout: %d %s", w.Code, w.Body)
	}

	var server, checkOut, publish, process, create sdktrace.ReadOnlySpan
	deadline := time.Now().Add(10 * time.Second)
	for create == nil && time.Now().Before(deadline) {
		for _, s := range rec.Ended() {
			if s.SpanContext().TraceID().String() != traceID {
				continue
			}
			switch s.Name() {
			case "POST /basket/checkout":
				server = s
			case "publish CheckoutBasket":
				publish = s
			case "process CheckoutBasket":
				process = s
			case "basket store check_out":
				checkOut = s
			case "ordering store create":
				create = s
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if server == nil || checkOut == nil || publish == nil || process == nil || create == nil {
		var names []string
		for _, s := range rec.Ended() {
			names = append(names, s.Name()+" "+s.SpanContext().TraceID().String())
		}
		t.Fatalf("spans of trace %s: server %v, check-out %v, publish %v, process %v, create %v; ended: %q",
			traceID, server != nil, checkOut != nil, publish != nil, process != nil, create != nil, names)
	}
	for _, c := range []struct {
		name         string
		span, parent sdktrace.ReadOnlySpan
		kind         trace.SpanKind
	}{
		{"server", server, nil, trace.SpanKindServer},
		{"publish", publish, server, trace.SpanKindProducer},
		{"process", process, publish, trace.SpanKindConsumer},
		{"check-out", checkOut, server, trace.SpanKindInternal},
		{"create", create, process, trace.SpanKindInternal},
	} {
		if got := c.span.SpanKind(); got != c.kind {
			t.Errorf("%s span kind: got %v, want %v", c.name, got, c.kind)
		}
		if c.parent == nil {
			if got, want := c.span.Parent().SpanID().String(), "00f067aa0ba902b7"; got != want {
				t.Errorf("server span's parent: got %s, want the client's %s", got, want)
			}
			continue
		}
		if got, want := c.span.Parent().SpanID(), c.parent.SpanContext().SpanID(); got != want {
			t.Errorf("%s span's parent: got %s, want %s", c.name, got, want)
		}
	}
	for _, s := range []sdktrace.ReadOnlySpan{checkOut, create} {
		if got := storeSystemOf(s); got != "bbolt" {
			t.Errorf("%s: db.system.name %q, want bbolt", s.Name(), got)
		}
	}
	want := `"trace_id":"` + traceID + `","span_id":"` + process.SpanContext().SpanID().String() + `"`
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"checkout ordered"`) {
			if !strings.Contains(line, want) {
				t.Errorf("ordering's log line %s lacks %s", line, want)
			}
			// The bus's fields survive: tracing extends the handler's logger.
			if !strings.Contains(line, `"subscription":"ordering"`) {
				t.Errorf("ordering's log line %s lacks its subscription", line)
			}
			return
		}
	}
	t.Errorf("no checkout ordered line in:\n%s", logs.String())
}

// storeSystemOf returns a store span's db.system.name.
func storeSystemOf(s sdktrace.ReadOnlySpan) string {
	for _, a := range s.Attributes() {
		if a.Key == "db.system.name" {
			return a.Value.AsString()
		}
	}
	return ""
}
