package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// BenchmarkCeiling compares the read routes through the whole program, over
// loopback, with a bare chi handler answering the same bytes from memory
// over loopback too, both driven by the same client in this process, as
// shopload's ceiling scenarios do. Beside ns/op it reports cpu-ns/op, the
// process's CPU time (client and both servers, from getrusage) per
// request: a machine shared with other work stretches the wall clock but
// not that, so bare's cpu-ns/op ÷ shop's is the share of the ceiling the
// shop reaches once the CPU is the limit, measurable on a busy machine.
func BenchmarkCeiling(b *testing.B) {
	m, id, _ := benchServer(b)
	shop := "http://" + m.Addr()
	for _, path := range []string{"/product/" + id, "/product?category=Listed&limit=50"} {
		body := benchGet(b, http.DefaultClient, shop+path)
		bare := startBareChi(b, body)
		name := "Get"
		if path[len("/product")] == '?' {
			name = "List"
		}
		for _, c := range []struct{ name, url string }{{"Shop", shop + path}, {"Bare", bare + path}} {
			b.Run(name+"/"+c.name, func(b *testing.B) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				defer client.CloseIdleConnections()
				b.SetParallelism(16)
				start := processCPU()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if got := benchGet(b, client, c.url); len(got) != len(body) {
							b.Errorf("got %d bytes, want %d", len(got), len(body))
						}
					}
				})
				b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// benchGet returns the body of a 200 answer to GET url.
func benchGet(b *testing.B, c *http.Client, url string) []byte {
	res, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s %v", url, res.StatusCode, body, err)
	}
	return body
}

// startBareChi serves body as JSON on /product and /product/{id} from a bare
// chi router on a loopback port, and returns its URL.
func startBareChi(b *testing.B, body []byte) string {
	body = bytes.Clone(body)
	r := chi.NewRouter()
	serve := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
	r.Get("/product", serve)
	r.Get("/product/{id}", serve)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			b.Error(err)
		}
	}()
	b.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// processCPU is the user and system CPU time this process has used, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
