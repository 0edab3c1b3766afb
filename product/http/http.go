// Package http serves the catalog's routes under /product.
package http

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/product"
)

// Handler serves /product.
type Handler struct {
	svc   *product.Service
	guard *auth.Guard
}

// NewHandler returns the catalog's HTTP handler; guard admits the callers
// who may change the catalog.
func NewHandler(svc *product.Service, guard *auth.Guard) *Handler {
	return &Handler{svc: svc, guard: guard}
}

// Routes returns the routes to mount at /product, each with the query
// parameters it takes. Anyone may browse the catalog; only the admin group
// changes it.
func (h *Handler) Routes() chi.Router {
	r := chi.NewRouter()
	r.With(httpx.Params("category", "limit", "cursor")).Get("/", h.list)
	r.With(httpx.Params()).Get("/{id}", h.get)
	r.With(h.guard.Admin, httpx.Params()).Post("/", h.create)
	r.With(h.guard.Admin, httpx.Params()).Put("/{id}", h.update)
	r.With(h.guard.Admin, httpx.Params()).Delete("/{id}", h.delete)
	return r
}

// input is a request body. Pointers tell a field left out from a zero value.
type input struct {
	ID          *string        `json:"id"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
	ImageFile   *string        `json:"imageFile"`
	Price       jsontext.Value `json:"price"`
	Category    *string        `json:"category"`
	Version     *int64         `json:"version"`
}

// patch validates the input's shape and converts it; pathID is "" on create.
func (in *input) patch(pathID string) (product.Patch, error) {
	bad := errs.Fields{}
	if in.ID != nil && (pathID == "" || *in.ID != pathID) {
		bad.Add("id", "is assigned by the server and cannot be changed")
	}
	if pathID == "" && in.Version != nil {
		bad.Add("version", "is assigned by the server")
	}
	pt := product.Patch{Name: in.Name, Description: in.Description, ImageFile: in.ImageFile, Category: in.Category}
	if in.Price != nil {
		a, err := money.Parse(string(in.Price))
		if err != nil {
			bad.Add("price", "must be a non-negative number with at most two decimals")
		}
		pt.Price = &a
	} else if pathID == "" {
		bad.Add("price", "is required")
	}
	if in.Name == nil && pathID == "" {
		bad.Add("name", "is required")
	}
	return pt, bad.Err()
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	var in input
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	pt, err := in.patch("")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var p product.Product
	pt.Apply(&p)
	created, err := h.svc.Create(r.Context(), p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/product/"+created.ID)
	httpx.JSON(w, http.StatusCreated, created)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pr, err := httpx.ParsePageQuery(q)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pg, err := h.svc.List(r.Context(), product.Filter{Category: q.Get("category")}, pr)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	writeEncoded(w, func(b []byte) []byte { return appendPage(b, pg) })
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.Get(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	writeEncoded(w, func(b []byte) []byte { return appendProduct(b, p) })
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	var in input
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	pt, err := in.patch(id)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pt.IfVersion = in.Version
	p, err := h.svc.Update(r.Context(), id, pt)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Delete(r.Context(), chi.URLParam(r, "id")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
