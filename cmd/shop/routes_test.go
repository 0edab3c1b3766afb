package main

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/api"
)

// internalRoutes are served but not published: Lambda's SQS event source
// posts to the pass-through path through the Web Adapter, and the HTTP API
// in front of the function lets nobody else reach it (see deploy/).
var internalRoutes = []string{"POST /events"}

// TestRoutesMatchTheSpec holds the router and openapi.yaml equal: every
// route the binary serves is an operation of the spec, and every operation
// is routed. It walks the router Main builds, in the default mode and in
// Lambda mode, where the pass-through path is mounted too.
func TestRoutesMatchTheSpec(t *testing.T) {
	spec, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	var published []string
	for path, item := range spec.Paths.Map() {
		for method := range item.Operations() {
			published = append(published, method+" "+path)
		}
	}
	slices.Sort(published)

	// No request reaches AWS: the router is only walked.
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for name, env := range map[string][]string{
		"Embedded": nil,
		"Lambda": {"SHOP_STORE=dynamodb", "SHOP_BUS=aws", "SHOP_SQS_POLL=false", "SHOP_AUTH=none",
			"SHOP_ORDER_QUEUE_URL=http://127.0.0.1:1/queue/order", "SHOP_BASKET_QUEUE_URL=http://127.0.0.1:1/queue/basket"},
	} {
		t.Run(name, func(t *testing.T) {
			routed := walk(t, append([]string{"PORT=0", "SHOP_HOST=127.0.0.1", "SHOP_DATA_DIR=" + t.TempDir()}, env...))
			for _, r := range routed {
				if !slices.Contains(published, r) && !slices.Contains(internalRoutes, r) {
					t.Errorf("%s is routed but not in openapi.yaml", r)
				}
			}
			for _, p := range published {
				if !slices.Contains(routed, p) {
					t.Errorf("%s is in openapi.yaml but not routed", p)
				}
			}
		})
	}
}

// walk starts Main with environ and lists its routes as "METHOD /path",
// in the spec's path syntax. HEAD and OPTIONS, which every route answers,
// are left out.
func walk(t *testing.T, environ []string) []string {
	t.Helper()
	cfg, err := LoadConfig(environ)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, io.Discard)
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	routes, ok := m.srv.Handler.(chi.Routes)
	if !ok {
		t.Fatalf("the server's handler is a %T, not the chi router", m.srv.Handler)
	}
	var out []string
	err = chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodHead || method == http.MethodOptions {
			return nil
		}
		// A module's own "/" is its mount point: /product/ is /product.
		if len(route) > 1 {
			route = strings.TrimSuffix(route, "/")
		}
		out = append(out, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
