package httpx

import (
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/errs"
)

// RequestLogger attaches a logger carrying the request id to the context and
// writes one line per request: method, route pattern, status, bytes, duration.
// It must run after chi's middleware.RequestID.
func RequestLogger(log zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			reqID := middleware.GetReqID(r.Context())
			l := log.With().Str("request_id", reqID).Logger()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			r = r.WithContext(l.WithContext(r.Context()))
			defer func() {
				route := ""
				if rc := chi.RouteContext(r.Context()); rc != nil {
					route = rc.RoutePattern()
				}
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK
				}
				ev := l.Info()
				if status >= 500 {
					ev = l.Warn()
				}
				ev.Str("method", r.Method).Str("route", route).Str("path", r.URL.Path).
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
				zerolog.Ctx(r.Context()).Error().Interface("panic", v).Bytes("stack", debug.Stack()).Msg("handler panicked")
				Error(w, r, errs.Errorf(errs.Internal, "panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
