// Package http serves the basket's routes under /basket.
package http

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
)

// OrderDateLayout formats a checkout's time as the order date ordering keys
// the order by: fixed width, so dates sort as strings. Named once in
// platform/events, which ordering uses too.
const OrderDateLayout = events.OrderDateLayout

// Handler serves /basket.
type Handler struct {
	svc   *basket.Service
	guard *auth.Guard
}

// NewHandler returns the basket's HTTP handler; guard admits the signed-in
// callers.
func NewHandler(svc *basket.Service, guard *auth.Guard) *Handler {
	return &Handler{svc: svc, guard: guard}
}

// Routes returns the routes to mount at /basket, each with the query
// parameters it takes, for signed-in callers only; nothing here may be
// cached. A caller fills and checks out their own basket; the admin group
// may also read, list and delete everyone's. The static checkout route is
// registered first; chi prefers static segments over parameters anyway.
func (h *Handler) Routes() chi.Router {
	r := chi.NewRouter()
	r.Use(httpx.NoStore)
	r.With(h.guard.SignedIn, httpx.Params()).Post("/checkout", h.checkout)
	r.With(h.guard.SignedIn, httpx.Params()).Post("/", h.put)
	r.With(h.guard.Admin, httpx.Params("limit", "cursor")).Get("/", h.list)
	r.With(h.guard.SignedIn, httpx.Params()).Get("/{userName}", h.get)
	r.With(h.guard.SignedIn, httpx.Params()).Delete("/{userName}", h.delete)
	return r
}

// basketInput is the body of POST /basket.
type basketInput struct {
	UserName string      `json:"userName"`
	Items    []itemInput `json:"items"`
}

// itemInput is one item of a basket. Price and name are accepted as hints
// and ignored: the catalog's are authoritative.
type itemInput struct {
	ProductID   string         `json:"productId"`
	Quantity    int            `json:"quantity"`
	Color       string         `json:"color"`
	Price       jsontext.Value `json:"price"`
	ProductName jsontext.Value `json:"productName"`
}

// basketJSON is the priced view of a basket.
type basketJSON struct {
	UserName   string       `json:"userName"`
	Items      []lineJSON   `json:"items"`
	TotalPrice money.Amount `json:"totalPrice"`
	UpdatedAt  time.Time    `json:"updatedAt"`
}

// lineJSON is a priced line; a pending or unavailable one has no price.
// Available is status == "priced", kept for clients written before status.
type lineJSON struct {
	ProductID   string            `json:"productId"`
	ProductName string            `json:"productName,omitempty"`
	Color       string            `json:"color,omitempty"`
	Quantity    int               `json:"quantity"`
	Price       *money.Amount     `json:"price,omitempty"`
	LineTotal   *money.Amount     `json:"lineTotal,omitempty"`
	Status      basket.LineStatus `json:"status"`
	Available   bool              `json:"available"`
}

func toJSON(v *basket.View) basketJSON {
	out := basketJSON{UserName: v.UserName, Items: make([]lineJSON, len(v.Items)), TotalPrice: v.TotalPrice, UpdatedAt: v.UpdatedAt}
	for i, l := range v.Items {
		lj := lineJSON{ProductID: l.ProductID, ProductName: l.ProductName, Color: l.Color, Quantity: l.Quantity,
			Status: l.Status, Available: l.Available}
		if l.Available {
			lj.Price, lj.LineTotal = &l.UnitPrice, &l.LineTotal
		}
		out.Items[i] = lj
	}
	return out
}

// listedJSON is a basket in a listing: as stored, without prices.
type listedJSON struct {
	UserName  string     `json:"userName"`
	Items     []itemJSON `json:"items"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

type itemJSON struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
	Color     string `json:"color,omitempty"`
}

func (h *Handler) put(w http.ResponseWriter, r *http.Request) {
	var in basketInput
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	userName, err := owner(r, in.UserName)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	hints := errs.Fields{}
	for i, it := range in.Items {
		checkHint(hints, fmt.Sprintf("items[%d].price", i), it.Price, '0')
		checkHint(hints, fmt.Sprintf("items[%d].productName", i), it.ProductName, '"')
	}
	if err := hints.Err(); err != nil {
		httpx.Error(w, r, err)
		return
	}
	b := basket.Basket{UserName: userName, Items: make([]basket.Item, len(in.Items))}
	for i, it := range in.Items {
		b.Items[i] = basket.Item{ProductID: it.ProductID, Quantity: it.Quantity, Color: it.Color}
	}
	v, created, err := h.svc.Put(r.Context(), b)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/basket/"+v.UserName)
	httpx.JSON(w, status, toJSON(v))
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	pr, err := httpx.ParsePage(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pg, err := h.svc.List(r.Context(), pr)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := page.Page[listedJSON]{Items: make([]listedJSON, len(pg.Items)), Next: pg.Next}
	for i, b := range pg.Items {
		l := listedJSON{UserName: b.UserName, Items: make([]itemJSON, len(b.Items)), UpdatedAt: b.UpdatedAt}
		for j, it := range b.Items {
			l.Items[j] = itemJSON{it.ProductID, it.Quantity, it.Color}
		}
		out.Items[i] = l
	}
	httpx.WriteList(w, out)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
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
	v, err := h.svc.Get(r.Context(), userName)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, toJSON(v))
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
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
	if err := h.svc.Delete(r.Context(), userName); err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkoutInput is the body of POST /basket/checkout. The client's
// totalPrice is accepted and ignored.
type checkoutInput struct {
	UserName      string         `json:"userName"`
	FirstName     string         `json:"firstName"`
	LastName      string         `json:"lastName"`
	Email         string         `json:"email"`
	Address       string         `json:"address"`
	PaymentMethod int            `json:"paymentMethod"`
	CardInfo      string         `json:"cardInfo"`
	TotalPrice    jsontext.Value `json:"totalPrice"`
}

// receiptJSON is the body of an accepted checkout.
type receiptJSON struct {
	CheckoutID string       `json:"checkoutId"`
	UserName   string       `json:"userName"`
	OrderDate  string       `json:"orderDate"`
	TotalPrice money.Amount `json:"totalPrice"`
	Status     string       `json:"status"`
}

func (h *Handler) checkout(w http.ResponseWriter, r *http.Request) {
	var in checkoutInput
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	userName, err := owner(r, in.UserName)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	hints := errs.Fields{}
	if checkHint(hints, "totalPrice", in.TotalPrice, '0'); len(hints) > 0 {
		httpx.Error(w, r, hints.Err())
		return
	}
	req := basket.CheckoutRequest{UserName: userName, FirstName: in.FirstName, LastName: in.LastName,
		Email: in.Email, Address: in.Address, PaymentMethod: in.PaymentMethod, CardInfo: in.CardInfo}
	key, err := idempotencyKey(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	req.IdempotencyKey = key
	rc, err := h.svc.Checkout(r.Context(), req)
	if err != nil {
		checkoutError(w, r, err)
		return
	}
	w.Header().Set("Location", "/order/"+rc.UserName)
	httpx.JSON(w, http.StatusAccepted, receiptJSON{CheckoutID: rc.CheckoutID, UserName: rc.UserName,
		OrderDate: rc.CheckedOutAt.UTC().Format(OrderDateLayout), TotalPrice: rc.TotalPrice, Status: "Accepted"})
}

// PendingProblemType is the problem type of a checkout refused because a
// line is pending (basket.PendingError): a 409 with Retry-After, distinct
// from a plain conflict, so a client knows to wait and retry as it is.
const PendingProblemType = httpx.ProblemType + "basket_pending"

// checkoutError answers a failed checkout: a pending line with its own
// problem type, anything else as httpx renders it.
func checkoutError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *basket.PendingError
	if !errors.As(err, &pe) {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(basket.PendingRetryAfter.Round(time.Second)/time.Second)))
	httpx.WriteProblem(w, httpx.Problem{Type: PendingProblemType, Title: http.StatusText(http.StatusConflict),
		Status: http.StatusConflict, Detail: pe.Error(), Instance: r.URL.Path})
}

// checkHint records in bad when a value the client may send and the server
// ignores (a price or a name it read earlier) is present but not of kind
// ('0' a number, '"' a string): ignored, but still held to the contract.
func checkHint(bad errs.Fields, field string, v jsontext.Value, kind jsontext.Kind) {
	if len(v) == 0 || v.Kind() == kind {
		return
	}
	reason := "must be a number"
	if kind == '"' {
		reason = "must be a string"
	}
	bad.Add(field, reason)
}

// owner returns the user a basket or checkout is for: the signed-in
// caller, whom the body may name but not replace.
func owner(r *http.Request, bodyUserName string) (string, error) {
	c, _ := auth.FromContext(r.Context())
	return c.Owner(bodyUserName)
}

// idempotencyKey returns the request's Idempotency-Key header, "" when it
// has none. A header that is present must hold exactly one non-empty key;
// the service checks the key's characters.
func idempotencyKey(r *http.Request) (string, error) {
	vs := r.Header.Values(basket.IdempotencyKeyField)
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", errs.Fields{basket.IdempotencyKeyField: "must be sent once"}.Err()
	case vs[0] == "":
		return "", errs.Fields{basket.IdempotencyKeyField: "must be 1 to 255 visible ASCII characters"}.Err()
	}
	return vs[0], nil
}
