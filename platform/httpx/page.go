package httpx

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/page"
)

// ParsePage reads the limit and cursor query parameters.
func ParsePage(r *http.Request) (page.Request, error) {
	return ParsePageQuery(r.URL.Query())
}

// ParsePageQuery reads the limit and cursor parameters of q, for a handler
// that reads other parameters too and so parses the query once.
func ParsePageQuery(q url.Values) (page.Request, error) {
	p := page.Request{Limit: page.DefaultLimit}
	bad := errs.Fields{}
	// Present but empty is an error, not the default: ?limit= is a mistake.
	if q.Has("limit") {
		s := q.Get("limit")
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > page.MaxLimit {
			bad.Add("limit", "must be an integer from 1 to "+strconv.Itoa(page.MaxLimit))
		}
		p.Limit = n
	}
	if q.Has("cursor") {
		c, err := page.Decode(q.Get("cursor"))
		if err != nil {
			bad.Add("cursor", "is not a cursor this server issued")
		}
		p.Cursor = c
	}
	return p, bad.Err()
}

// List is the body of every listing response.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// WriteList writes a page as {"items": [...], "nextCursor": "..."}.
func WriteList[T any](w http.ResponseWriter, p page.Page[T]) {
	items := p.Items
	if items == nil {
		items = []T{}
	}
	JSON(w, http.StatusOK, List[T]{Items: items, NextCursor: p.Next.Encode()})
}

// PathParam returns the decoded path parameter name. chi routes on the
// escaped path when the request has one (a client that encodes "@" as %40,
// or "/" as %2F), and then its parameters are still escaped.
func PathParam(r *http.Request, name string) (string, error) {
	v := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return v, nil
	}
	u, err := url.PathUnescape(v)
	if err != nil {
		return "", errs.Fields{name: "is not a valid path segment"}.Err()
	}
	return u, nil
}
