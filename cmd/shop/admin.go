package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/platform/bus/localbus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/page"
)

// startAdmin serves the operator's endpoints on their own listener, never on
// the public port, when SHOP_ADMIN_ADDR is set: net/http/pprof under
// /debug/pprof/, the metrics at /metrics (Prometheus text format), the
// outboxes' dead letters under /outbox/deadletters and, with the local bus,
// its dead letters under /deadletters.
func (m *Main) startAdmin(lb *localbus.Bus) error {
	if m.cfg.AdminAddr == "" {
		return nil
	}
	r := chi.NewRouter()
	r.Use(httpx.RequestLogger(m.log), httpx.Recoverer)
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.HandleFunc("/debug/pprof/*", pprof.Index)
	r.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	r.HandleFunc("/debug/pprof/profile", pprof.Profile)
	r.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	r.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if lb != nil {
		r.Mount("/deadletters", deadLetterRoutes(lb))
	}
	r.Mount("/outbox/deadletters", outboxDeadLetterRoutes(m.relays))
	r.Handle("/metrics", m.metrics.handler(m.log))
	ln, err := net.Listen("tcp", m.cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("listen on SHOP_ADMIN_ADDR %s: %w", m.cfg.AdminAddr, err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error().Err(err).Msg("admin server stopped")
		}
	}()
	m.admin = srv
	m.log.Info().Str("addr", ln.Addr().String()).Msg("admin listening")
	return nil
}

// deadLetterRoutes lists and replays the local bus's dead letters:
//
//	GET  /deadletters/{subscription}?limit=N     oldest first, 50 by default
//	POST /deadletters/{subscription}/replay        every dead letter
//	POST /deadletters/{subscription}/{id}/replay   one
func deadLetterRoutes(lb *localbus.Bus) chi.Router {
	r := chi.NewRouter()
	busError := func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, localbus.ErrUnknownSubscription) || errors.Is(err, localbus.ErrNotFound) {
			err = &errs.Error{Code: errs.NotFound, Message: err.Error()}
		}
		httpx.Error(w, r, err)
	}
	r.Get("/{sub}", func(w http.ResponseWriter, r *http.Request) {
		dls, err := lb.DeadLetters(r.Context(), chi.URLParam(r, "sub"), deadLetterLimit(r))
		if err != nil {
			busError(w, r, err)
			return
		}
		if dls == nil {
			dls = []localbus.DeadLetter{}
		}
		httpx.JSON(w, http.StatusOK, map[string]any{"items": dls})
	})
	r.Post("/{sub}/replay", func(w http.ResponseWriter, r *http.Request) {
		n, err := lb.ReplayAll(r.Context(), chi.URLParam(r, "sub"))
		if err != nil {
			busError(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, map[string]int{"replayed": n})
	})
	r.Post("/{sub}/{id}/replay", func(w http.ResponseWriter, r *http.Request) {
		if err := lb.Replay(r.Context(), chi.URLParam(r, "sub"), chi.URLParam(r, "id")); err != nil {
			busError(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, map[string]int{"replayed": 1})
	})
	return r
}

// deadLetterLimit is a listing's ?limit=, page.DefaultLimit when absent or
// out of range.
func deadLetterLimit(r *http.Request) int {
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit < 1 || limit > page.MaxLimit {
		return page.DefaultLimit
	}
	return limit
}

// outboxDeadLetterRoutes lists and replays the events each outbox's relay
// gave up on, in the shape of the bus's dead letters:
//
//	GET  /outbox/deadletters/{outbox}?limit=N     oldest first, 50 by default
//	POST /outbox/deadletters/{outbox}/replay        every dead letter
//	POST /outbox/deadletters/{outbox}/{id}/replay   one
func outboxDeadLetterRoutes(relays []*outbox.Relay) chi.Router {
	byName := map[string]*outbox.Relay{}
	for _, rl := range relays {
		byName[rl.Name()] = rl
	}
	relay := func(w http.ResponseWriter, r *http.Request) *outbox.Relay {
		rl := byName[chi.URLParam(r, "outbox")]
		if rl == nil {
			httpx.Error(w, r, &errs.Error{Code: errs.NotFound, Message: fmt.Sprintf("No outbox %q.", chi.URLParam(r, "outbox"))})
		}
		return rl
	}
	outboxError := func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, outbox.ErrNotFound) {
			err = &errs.Error{Code: errs.NotFound, Message: err.Error()}
		}
		httpx.Error(w, r, err)
	}
	r := chi.NewRouter()
	r.Get("/{outbox}", func(w http.ResponseWriter, r *http.Request) {
		rl := relay(w, r)
		if rl == nil {
			return
		}
		dls, err := rl.DeadLetters(r.Context(), deadLetterLimit(r))
		if err != nil {
			outboxError(w, r, err)
			return
		}
		if dls == nil {
			dls = []outbox.DeadLetter{}
		}
		httpx.JSON(w, http.StatusOK, map[string]any{"items": dls})
	})
	r.Post("/{outbox}/replay", func(w http.ResponseWriter, r *http.Request) {
		rl := relay(w, r)
		if rl == nil {
			return
		}
		n, err := rl.ReplayAll(r.Context())
		if err != nil {
			outboxError(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, map[string]int{"replayed": n})
	})
	r.Post("/{outbox}/{id}/replay", func(w http.ResponseWriter, r *http.Request) {
		rl := relay(w, r)
		if rl == nil {
			return
		}
		if err := rl.Replay(r.Context(), chi.URLParam(r, "id")); err != nil {
			outboxError(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, map[string]int{"replayed": 1})
	})
	return r
}
