package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/cors"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/api"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/tracing"
)

// shutdownTimeout bounds how long Close waits for in-flight requests.
const shutdownTimeout = 20 * time.Second

// Main is the running program: it builds stores, bus and router from the
// configuration, serves HTTP and runs the background workers.
type Main struct {
	cfg Config
	log zerolog.Logger

	ln  net.Listener
	srv *http.Server
	// admin is the operator listener, when SHOP_ADMIN_ADDR is set.
	admin *http.Server

	// bgCancel stops the background workers; bg waits for them.
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	// bus is closed before the stores its handlers write to.
	bus eventBus
	// closers release what Run opened, in reverse order.
	closers []func() error
	// relays move the modules' outboxes to the bus once it runs.
	relays []*outbox.Relay
	// checks are the readiness probes of the stores.
	checks map[string]func(context.Context) error
	// metrics are nil, and cost nothing, without an operator listener.
	metrics *instruments
	// tracing is nil, and costs nothing, unless OTEL_TRACES_EXPORTER names
	// an exporter; a test may set it before Run.
	tracing *tracing.Tracing
	// phases times Run's steps for the "listening" line.
	phases *startupPhases
	// awsCfg is loaded once, for the stores and the bus.
	awsCfg *aws.Config
}

// NewMain returns a program logging to w.
func NewMain(cfg Config, w io.Writer) *Main {
	log := newLogger(cfg, w)
	// Handlers and bus subscribers log through zerolog.Ctx; without a
	// logger in their context, they get this one.
	zerolog.DefaultContextLogger = &log
	return &Main{cfg: cfg, log: log, checks: map[string]func(context.Context) error{}, metrics: newInstruments(cfg)}
}

// Run opens everything, starts listening and returns once the server
// accepts connections.
func (m *Main) Run(ctx context.Context) error {
	m.phases = newStartupPhases()
	bgCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.bgCancel = cancel
	if m.tracing == nil {
		t, err := tracing.New(ctx, m.log)
		if err != nil {
			return fmt.Errorf("tracing (OTEL_*): %w", err)
		}
		m.tracing = t
	}
	m.phases.mark("tracing")

	r := chi.NewRouter()
	// GetHead answers HEAD on every GET route; httpx.MethodNotAllowed
	// answers OPTIONS (204) and every 405 with Allow.
	r.Use(httpx.TracedRequestLogger(m.log, m.requestTracer(), m.metrics.requests()...), httpx.Recoverer, middleware.CleanPath, httpx.GetHead,
		httpx.BodyDeadline(m.cfg.BodyTimeout))
	if len(m.cfg.CORSOrigins) > 0 {
		// Without origins the middleware is left out, since it would allow
		// every origin: cross-origin requests then get no Access-Control
		// headers, and browsers refuse them.
		r.Use(cors.Handler(cors.Options{
			AllowedOrigins: m.cfg.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions},
			AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key"},
			ExposedHeaders: []string{"Location", httpx.RequestIDHeader, "Retry-After"},
			MaxAge:         600,
			// A preflight goes on to the router, which answers it 204 with Allow.
			OptionsPassthrough: true,
		}))
	}
	if m.cfg.Bus == "aws" && !m.cfg.SQSPoll {
		r.Use(m.flushOutboxes)
	}
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.With(httpx.Params()).Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.With(httpx.Params()).Get("/readyz", m.ready)
	// The contract (openapi.yaml, .json) and its reference page, for anyone.
	api.Register(r.With(httpx.Params()))

	m.phases.mark("router")
	if err := m.wire(ctx, bgCtx, r); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on PORT %d: %w", m.cfg.Port, err)
	}
	m.ln = ln
	m.srv = &http.Server{
		Handler:           r,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error().Err(err).Msg("server stopped")
		}
	}()
	m.phases.mark("listen")
	m.log.Info().Str("addr", ln.Addr().String()).Str("store", m.cfg.Store).Str("bus", m.cfg.Bus).
		Dict("startup", m.phases.total()).Msg("listening")
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Close stops accepting requests, finishes those in flight, stops the
// background workers and closes the stores and the bus.
func (m *Main) Close() error {
	var errsOut []error
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := m.srv.Shutdown(ctx); err != nil {
			errsOut = append(errsOut, fmt.Errorf("shutdown http: %w", err))
		}
	}
	if m.admin != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := m.admin.Shutdown(ctx); err != nil {
			errsOut = append(errsOut, fmt.Errorf("shutdown admin: %w", err))
		}
	}
	if m.bgCancel != nil {
		m.bgCancel()
	}
	m.bg.Wait()
	if m.bus != nil {
		// Waits for running handlers, so no store closes under one.
		if err := m.bus.Close(); err != nil {
			errsOut = append(errsOut, fmt.Errorf("close bus: %w", err))
		}
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](); err != nil {
			errsOut = append(errsOut, err)
		}
	}
	m.closers = nil
	if m.tracing != nil {
		// Last, so the spans of the requests and handlers above are flushed.
		ctx, cancel := context.WithTimeout(context.Background(), tracingShutdownTimeout)
		defer cancel()
		if err := m.tracing.Shutdown(ctx); err != nil {
			errsOut = append(errsOut, fmt.Errorf("shutdown tracing: %w", err))
		}
		m.tracing = nil
	}
	return errors.Join(errsOut...)
}

// goBackground runs fn until Close.
func (m *Main) goBackground(ctx context.Context, fn func(context.Context)) {
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		fn(ctx)
	}()
}

// flushOutboxes publishes what a write request put in the outboxes before
// the response completes. On Lambda the process is frozen between
// invocations, so a background relay cannot be relied on to run.
func (m *Main) flushOutboxes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		// Reads write no events, and neither do the bus handlers behind the
		// pass-through path.
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.URL.Path == m.cfg.LambdaPassThroughPath {
			return
		}
		// Only the outboxes this request wrote to: the others hold nothing
		// new, and each flush is a query.
		for _, rl := range m.relays {
			if err := rl.FlushNotified(r.Context()); err != nil {
				// The events stay in the outbox for the next sweep.
				zerolog.Ctx(r.Context()).Warn().Err(err).Msg("outbox flush failed")
			}
		}
	})
}

func (m *Main) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	// The checks run at once: on DynamoDB each is a round trip, and the
	// Lambda Web Adapter holds every cold start until this answers 200.
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(m.checks))
	for name, check := range m.checks {
		go func() { results <- result{name, check(ctx)} }()
	}
	status := make(map[string]string, len(m.checks))
	code := http.StatusOK
	for range m.checks {
		res := <-results
		if res.err != nil {
			zerolog.Ctx(r.Context()).Warn().Err(res.err).Str("check", res.name).Msg("not ready")
			status[res.name] = "unavailable"
			code = http.StatusServiceUnavailable
			continue
		}
		status[res.name] = "ok"
	}
	if code != http.StatusOK {
		// A load balancer or client polling readiness learns when to ask
		// again, as from any other 503.
		w.Header().Set("Retry-After", strconv.FormatInt(int64(errs.DefaultRetryAfter/time.Second), 10))
	}
	httpx.JSON(w, code, map[string]any{"status": map[bool]string{true: "ready", false: "not ready"}[code == http.StatusOK], "checks": status})
}
