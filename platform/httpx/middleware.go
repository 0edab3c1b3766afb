package httpx

import (
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/errs"
)

// RequestLogger writes one line per request: method, route pattern, status,
// bytes, duration and request id, which it also returns in the X-Request-Id
// header. It must run after chi's
// middleware.RequestID. Handlers log through zerolog.Ctx, which falls back to
// zerolog.DefaultContextLogger; cmd/shop sets that once, sparing every
// request a copy of itself carrying a logger.
func RequestLogger(log zerolog.Logger) func(http.Handler) http.Handler {
	l := &log
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			reqID := middleware.GetReqID(r.Context())
			// Clients quote it when they report a problem; the logs carry it.
			w.Header().Set(middleware.RequestIDHeader, reqID)
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			defer func() {
				route := routePattern(chi.RouteContext(r.Context()))
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK
				}
				ev := l.Info()
				if status >= 500 {
					ev = l.Warn()
				}
				ev.Str("request_id", reqID).Str("method", r.Method).Str("route", route).Str("path", r.URL.Path).
					Int("status", status).Int("bytes", ww.BytesWritten()).
					Dur("duration", time.Since(start)).Msg("request")
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// Recoverer turns a panic into a logged 500 problem without a stack in the body.
func Recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				zerolog.Ctx(r.Context()).Error().Interface("panic", v).Bytes("stack", debug.Stack()).
					Str("request_id", middleware.GetReqID(r.Context())).Msg("handler panicked")
				Error(w, r, errs.Errorf(errs.Internal, "panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// patterns memoises chi's RoutePattern, which joins and rewrites strings on
// every call, for the usual depths: a route, or a mounted module's route.
// Keys are route patterns, not paths, so the map stays as small as the router.
var patterns = struct {
	sync.RWMutex
	m map[[2]string]string
}{m: map[[2]string]string{}}

func routePattern(rc *chi.Context) string {
	if rc == nil {
		return ""
	}
	var key [2]string
	switch len(rc.RoutePatterns) {
	case 1:
		key[0] = rc.RoutePatterns[0]
	case 2:
		key[0], key[1] = rc.RoutePatterns[0], rc.RoutePatterns[1]
	default:
		return rc.RoutePattern()
	}
	patterns.RLock()
	p, ok := patterns.m[key]
	patterns.RUnlock()
	if !ok {
		p = rc.RoutePattern()
		patterns.Lock()
		patterns.m[key] = p
		patterns.Unlock()
	}
	return p
}
