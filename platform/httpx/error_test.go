package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/httpx"
)

// serveError answers a request with err through httpx.Error, the request's
// context cancelled first when cancel is set, and returns the recorder and
// the log lines written.
func serveError(t *testing.T, err error, cancel bool) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var logs bytes.Buffer
	ctx, stop := context.WithCancel(zerolog.New(&logs).Level(zerolog.DebugLevel).WithContext(context.Background()))
	defer stop()
	if cancel {
		stop()
	}
	rec := httptest.NewRecorder()
	httpx.Error(rec, httptest.NewRequest(http.MethodPost, "/basket/checkout", nil).WithContext(ctx), err)
	return rec, logs.String()
}

func TestError(t *testing.T) {
	for _, c := range []struct {
		name       string
		err        error
		status     int
		typ        string
		retryAfter string
		level      string
	}{
		{"Unavailable", fmt.Errorf("get basket: %w", errs.Errorf(errs.Unavailable, "dial tcp: connection refused")), 503, "urn:shop:problem:unavailable", "1", "warn"},
		{"UnavailableWithWait", &errs.Error{Code: errs.Unavailable, Message: "x", RetryAfter: 5 * time.Second}, 503, "urn:shop:problem:unavailable", "5", "warn"},
		{"ConflictWithWait", &errs.Error{Code: errs.Conflict, Message: "Not priced yet.", RetryAfter: 1500 * time.Millisecond}, 409, "urn:shop:problem:conflict", "2", ""},
		{"Conflict", errs.ErrLostRace, 409, "urn:shop:problem:conflict", "", ""},
		{"DiskFull", fmt.Errorf("put product: %w", &os.PathError{Op: "write", Path: "/data/product.db", Err: syscall.ENOSPC}), 503, "urn:shop:problem:unavailable", "1", "warn"},
		{"Internal", fmt.Errorf("boom"), 500, "urn:shop:problem:internal", "", "error"},
		// A context cancelled by the server's own doing, the request's
		// still live, is a failure of the server.
		{"CanceledNotByClient", fmt.Errorf("query: %w", context.Canceled), 500, "urn:shop:problem:internal", "", "error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, logs := serveError(t, c.err, false)
			if rec.Code != c.status || rec.Header().Get("Retry-After") != c.retryAfter {
				t.Fatalf("got %d Retry-After %q, want %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"), c.status, c.retryAfter)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("got Content-Type %q, want application/problem+json", ct)
			}
			var p httpx.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != c.typ || p.Status != c.status {
				t.Fatalf("got body %s, want a %d problem of type %s", rec.Body, c.status, c.typ)
			}
			if c.status >= 500 && (strings.Contains(rec.Body.String(), "refused") || strings.Contains(rec.Body.String(), "product.db")) {
				t.Fatalf("body %s tells the cause", rec.Body)
			}
			if c.level == "" && logs != "" || c.level != "" && !strings.Contains(logs, `"level":"`+c.level+`"`) {
				t.Fatalf("got logs %q, want a line at %q", logs, c.level)
			}
		})
	}
	t.Run("ClientGone", func(t *testing.T) {
		rec, logs := serveError(t, fmt.Errorf("get basket: %w", context.Canceled), true)
		if rec.Code != httpx.StatusClientClosedRequest || rec.Body.Len() != 0 {
			t.Fatalf("got %d %q, want %d without a body", rec.Code, rec.Body, httpx.StatusClientClosedRequest)
		}
		if !strings.Contains(logs, `"level":"debug"`) || strings.Contains(logs, `"level":"error"`) {
			t.Fatalf("got logs %q, want one line at debug", logs)
		}
	})
}
