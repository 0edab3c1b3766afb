package main

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkStart is a start of the whole program on the embedded store,
// from the configuration to /readyz answering 200, and its shutdown: the
// CPU and allocations behind start → ready (shopload -scenario startup
// times it from exec, on a catalog of any size).
func BenchmarkStart(b *testing.B) {
	dir := b.TempDir()
	cfg, err := LoadConfig([]string{"PORT=0", "SHOP_HOST=127.0.0.1", "SHOP_DATA_DIR=" + dir, "SHOP_LOG_LEVEL=warn"})
	if err != nil {
		b.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	b.ReportAllocs()
	for b.Loop() {
		m := NewMain(cfg, io.Discard)
		if err := m.Run(b.Context()); err != nil {
			b.Fatal(err)
		}
		res, err := c.Get("http://" + m.Addr() + "/readyz")
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("/readyz: %d", res.StatusCode)
		}
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
