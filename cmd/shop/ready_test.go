package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// barrierChecks are readiness checks that pass only once all of them are
// running at the same time, or fail with fail's error: a /readyz that ran
// them one after the other would never pass the first.
func barrierChecks(names []string, fail string) map[string]func(context.Context) error {
	var (
		mu      sync.Mutex
		waiting int
		all     = make(chan struct{})
	)
	checks := map[string]func(context.Context) error{}
	for _, n := range names {
		checks[n] = func(ctx context.Context) error {
			mu.Lock()
			if waiting++; waiting == len(names) {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
			case <-ctx.Done():
				return ctx.Err()
			}
			if n == fail {
				return errors.New("table not found")
			}
			return nil
		}
	}
	return checks
}

// TestReadyChecksAtOnce: /readyz runs its checks concurrently (on DynamoDB
// each is a round trip, and the Lambda Web Adapter holds a cold start until
// it answers 200), and reports each.
func TestReadyChecksAtOnce(t *testing.T) {
	names := []string{"product", "basket", "ordering", "outbox"}
	for _, tc := range []struct {
		name, fail string
		want       int
	}{
		{"OK", "", http.StatusOK},
		{"ErrUnavailable", "outbox", http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMain(Config{LogLevel: "error"}, io.Discard)
			m.checks = barrierChecks(names, tc.fail)
			// A sequential /readyz would wait out its own 2 s timeout and
			// answer 503; this bounds the test if it hung instead.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rec := httptest.NewRecorder()
			m.ready(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(ctx))
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			var body struct{ Checks map[string]string }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				want := "ok"
				if n == tc.fail {
					want = "unavailable"
				}
				if got := body.Checks[n]; got != want {
					t.Errorf("check %s: %q, want %q", n, got, want)
				}
			}
			if tc.fail != "" && rec.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		})
	}
}
