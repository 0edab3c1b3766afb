package httpx

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/errs"
)

// RequestIDHeader carries a request's id, from the client or made here.
const RequestIDHeader = "X-Request-Id"

// request is what the middleware knows of a request, shared down the chain
// as the request's context so inner handlers can add to the log line. It is
// also the response writer the handlers write through, counting the status
// and bytes for the line: one allocation for what were a context value, a
// context and a wrapping writer.
type request struct {
	context.Context
	http.ResponseWriter
	id     string
	user   string
	status int
	bytes  int
	// idHeader is the X-Request-Id header's value slice, allocated here.
	idHeader [1]string
}

type requestKey struct{}

// Value implements context.Context: the request itself under requestKey.
func (rq *request) Value(key any) any {
	if key == (requestKey{}) {
		return rq
	}
	return rq.Context.Value(key)
}

// WriteHeader implements http.ResponseWriter, keeping the first status.
func (rq *request) WriteHeader(code int) {
	if rq.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rq.status = code
	}
	rq.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter, counting the bytes.
func (rq *request) Write(b []byte) (int, error) {
	if rq.status == 0 {
		rq.status = http.StatusOK
	}
	n, err := rq.ResponseWriter.Write(b)
	rq.bytes += n
	return n, err
}

// Flush implements http.Flusher for handlers that stream.
func (rq *request) Flush() {
	if rq.status == 0 {
		rq.status = http.StatusOK
	}
	_ = http.NewResponseController(rq.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the connection's own writer, for
// deadlines and the like.
func (rq *request) Unwrap() http.ResponseWriter { return rq.ResponseWriter }

// RequestID returns the id of the request ctx belongs to, "" outside one.
func RequestID(ctx context.Context) string {
	if rq, ok := ctx.Value(requestKey{}).(*request); ok {
		return rq.id
	}
	return ""
}

// SetUser names the signed-in user on the request's log line.
func SetUser(ctx context.Context, user string) {
	if rq, ok := ctx.Value(requestKey{}).(*request); ok {
		rq.user = user
	}
}

// RequestObserver is told of every request a RequestLogger serves, to count
// it: Begin as it arrives, End once it is answered, with the route pattern,
// status and duration of its log line (so it reads no clock of its own).
// Both run on the request's goroutine and must be cheap.
type RequestObserver interface {
	Begin()
	End(route string, status int, d time.Duration)
}

// RequestLogger gives every request an id and writes one line per request:
// method, route pattern, status, bytes, duration, request id and the
// signed-in user (never a token). The id is the client's X-Request-Id when
// it is 1 to 64 visible ASCII characters, else a new one; it is returned in
// X-Request-Id. Every response also carries X-Content-Type-Options: nosniff.
// Handlers log through zerolog.Ctx, which falls back to
// zerolog.DefaultContextLogger; cmd/shop sets that once, sparing every
// request a copy of itself carrying a logger. Every obs is told of every
// request.
func RequestLogger(log zerolog.Logger, obs ...RequestObserver) func(http.Handler) http.Handler {
	return TracedRequestLogger(log, nil, obs...)
}

// RequestTracer starts a span for each request a TracedRequestLogger serves.
type RequestTracer interface {
	// StartRequest returns the context r's handlers run in (carrying the
	// span, and a logger whose lines name it) and a function that ends the
	// span, told the route pattern and status.
	StartRequest(r *http.Request) (context.Context, func(route string, status int))
}

// TracedRequestLogger is RequestLogger with a span per request from tr, if
// not nil: the request's log line and its handlers' lines carry the span's
// ids. With a nil tr a request pays nothing for tracing.
func TracedRequestLogger(log zerolog.Logger, tr RequestTracer, obs ...RequestObserver) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rq := &request{ResponseWriter: w, id: r.Header.Get(RequestIDHeader)}
			if !validRequestID(rq.id) {
				rq.id = newRequestID()
			}
			h := w.Header()
			// Clients quote it when they report a problem; the logs carry it.
			// The values are assigned, not Set, sparing a slice each; no
			// handler changes them in place.
			rq.idHeader[0] = rq.id
			h[RequestIDHeader] = rq.idHeader[:]
			h["X-Content-Type-Options"] = nosniff
			ctx, l := r.Context(), &log
			var endSpan func(string, int)
			if tr != nil {
				ctx, endSpan = tr.StartRequest(r)
				l = zerolog.Ctx(ctx)
			}
			rq.Context = ctx
			r = r.WithContext(rq)
			for _, o := range obs {
				o.Begin()
			}
			defer logRequest(l, r, rq, start, obs, endSpan)
			next.ServeHTTP(rq, r)
		})
	}
}

// nosniff is every response's X-Content-Type-Options, shared.
var nosniff = []string{"nosniff"}

// logRequest ends a request: it tells the observers and the tracer, and
// writes the request's line.
func logRequest(l *zerolog.Logger, r *http.Request, rq *request, start time.Time, obs []RequestObserver, endSpan func(string, int)) {
	d := time.Since(start)
	route := routePattern(chi.RouteContext(r.Context()))
	status := rq.status
	if status == 0 {
		status = http.StatusOK
	}
	for _, o := range obs {
		o.End(route, status, d)
	}
	if endSpan != nil {
		endSpan(route, status)
	}
	ev := l.Info()
	if status >= 500 {
		ev = l.Warn()
	}
	ev = ev.Str("request_id", rq.id).Str("method", r.Method).Str("route", route).Str("path", r.URL.Path)
	if rq.user != "" {
		ev = ev.Str("user", rq.user)
	}
	ev.Int("status", status).Int("bytes", rq.bytes).Dur("duration", d).Msg("request")
}

// validRequestID reports whether a client's request id may be kept: 1 to 64
// visible ASCII characters, so it cannot forge log lines or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestIDPrefix tells this process's ids from another's; it is random,
// so an id says nothing about the host.
var requestIDPrefix = func() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:]) + "-"
}()

var requestSeq atomic.Uint64

func newRequestID() string {
	// One allocation, where prefix + FormatUint made two.
	var b [32]byte
	return string(strconv.AppendUint(append(b[:0], requestIDPrefix...), requestSeq.Add(1), 10))
}

// NoStore marks the responses of the routes it wraps as never to be cached:
// they belong to one user.
func NoStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
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
					Str("request_id", RequestID(r.Context())).Msg("handler panicked")
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

// BodyDeadline gives the body of a request d to arrive, counted from when
// the request reaches it: a body still arriving then fails to read, and
// Decode answers 408. It sets the connection's read deadline, so it replaces
// the server's ReadTimeout for such a request.
func BodyDeadline(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// 0 is no body; -1 is one of unknown length (chunked).
			if r.ContentLength != 0 {
				// Fails only where there is no connection to set it on
				// (a test recorder); the server's timeouts then apply.
				_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// GetHead serves HEAD with the path's GET route: no route registers HEAD,
// and the server sends no body for it. It replaces chi's
// middleware.GetHead, which takes the root of a mounted router (/product)
// for a HEAD route and so answers it 405.
func GetHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil && r.Method == http.MethodHead {
			rctx.RouteMethod = http.MethodGet
		}
		next.ServeHTTP(w, r)
	})
}
