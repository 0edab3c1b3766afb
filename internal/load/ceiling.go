package load

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// ceilingProduct is what the ceiling server answers: a product of the
// shop's shape and typical size.
var ceilingProduct = []byte(`{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","name":"IPhone X","description":"This phone is the company's biggest change to its flagship smartphone in years.","imageFile":"product-1.png","price":950.40,"category":"Phone","version":1}`)

// CeilingResult compares GET /product/{id} on the shop with a bare chi
// handler answering a fixed product, driven by the same client.
type CeilingResult struct {
	URL           string  `json:"url"`
	ShopPerSecond float64 `json:"shopPerSecond"`
	BarePerSecond float64 `json:"barePerSecond"`
	// Ratio is shop / bare: the share of the router-and-socket ceiling the
	// shop reaches.
	Ratio float64 `json:"ratio"`
}

// startCeiling serves a bare chi router on a free loopback port in this
// process. It shares the harness's CPU, as the shop shares the machine.
func startCeiling() (url string, stop func(), err error) {
	r := chi.NewRouter()
	r.Get("/product/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(ceilingProduct)
	})
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
