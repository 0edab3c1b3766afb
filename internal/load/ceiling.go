package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// ceilingProduct is what the ceiling server answers: a product of the
// shop's shape and typical size.
var ceilingProduct = []byte(`{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","name":"IPhone X","description":"This phone is the company's biggest change to its flagship smartphone in years.","imageFile":"product-1.png","price":950.40,"category":"Phone","version":1}`)

// CeilingResult compares one route on the shop with a bare chi handler
// answering the same from memory, driven by the same client.
type CeilingResult struct {
	// Route is the route compared: GET /product/{id} (scenario ceiling)
	// or GET /product?category (list-ceiling).
	Route         string  `json:"route"`
	URL           string  `json:"url"`
	ShopPerSecond float64 `json:"shopPerSecond"`
	BarePerSecond float64 `json:"barePerSecond"`
	// Ratio is shop / bare: the share of the router-and-socket ceiling the
	// shop reaches.
	Ratio float64 `json:"ratio"`
}

// serveJSON answers every request with body as JSON.
func serveJSON(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

// servePages answers GET /product?category=c with pages[c], the page the
// shop served for it, as read before the run; 404 for another category.
func servePages(pages map[string][]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ok := pages[r.URL.Query().Get("category")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}
}

// startBare serves a bare chi router with route on a free loopback port in
// this process. It shares the harness's CPU, as the shop shares the machine.
func startBare(pattern string, h http.HandlerFunc) (url string, stop func(), err error) {
	r := chi.NewRouter()
	r.Get(pattern, h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// readPages reads from the shop the page the list scenario asks for, one
// per category, for the bare server to answer with.
func (s *shop) readPages(ctx context.Context) (map[string][]byte, error) {
	pages := map[string][]byte{}
	for k := range categories {
		c := fmt.Sprintf("load-%d", k)
		r := s.t.send(ctx, anonymous, "GET", listPath(c), nil)
		if r.Err != nil || r.Status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d %s %v", listPath(c), r.Status, truncate(r.Body, 200), r.Err)
		}
		pages[c] = r.Body
	}
	return pages, nil
}
