// Package http serves the ordering module's routes under /order.
package http

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/ordering"
	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/page"
)

// Handler serves /order.
type Handler struct {
	svc   *ordering.Service
	guard *auth.Guard
}

// NewHandler returns the ordering module's HTTP handler; guard admits the
// signed-in callers.
func NewHandler(svc *ordering.Service, guard *auth.Guard) *Handler {
	return &Handler{svc: svc, guard: guard}
}

// Routes returns the routes to mount at /order, each with the query
// parameters it takes, for signed-in callers only; nothing here may be
// cached:
//
//	GET /             the caller's orders (the admin group: everyone's), paginated
//	GET /{userName}   the user's orders, newest first, paginated; with
//	                  ?orderDate=<RFC 3339> the one order at that date.
//	                  That user, or the admin group.
func (h *Handler) Routes() chi.Router {
	r := chi.NewRouter()
	r.Use(httpx.NoStore)
	// The guard wraps each route, not the router: OPTIONS and a wrong
	// method are answered without a token, as on every other route.
	r.With(h.guard.SignedIn, httpx.Params("limit", "cursor")).Get("/", h.list)
	r.With(h.guard.SignedIn, httpx.Params("orderDate", "limit", "cursor")).Get("/{userName}", h.user)
	return r
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	pr, err := httpx.ParsePage(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var pg page.Page[*ordering.Order]
	if c, _ := auth.FromContext(r.Context()); c.SeesAll() {
		pg, err = h.svc.List(r.Context(), pr)
	} else {
		pg, err = h.svc.ListByUser(r.Context(), c.User, pr)
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.WriteList(w, pg)
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request) {
	userName, err := httpx.PathParam(r, "userName")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	c, _ := auth.FromContext(r.Context())
	if err := c.MayAccess(userName); err != nil {
		httpx.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	// Present but empty is still a lookup, so that ?orderDate= is a 400
	// rather than silently a listing.
	if q.Has("orderDate") {
		if q.Has("limit") || q.Has("cursor") {
			httpx.Error(w, r, errs.Errorf(errs.Invalid, "orderDate asks for one order; it takes no limit or cursor."))
			return
		}
		o, err := h.svc.Get(r.Context(), userName, q.Get("orderDate"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, o)
		return
	}
	pr, err := httpx.ParsePage(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pg, err := h.svc.ListByUser(r.Context(), userName, pr)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.WriteList(w, pg)
}
