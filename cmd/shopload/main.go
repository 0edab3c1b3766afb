// Command shopload drives a running shop over loopback HTTP with a realistic
// mix or one named scenario, at a fixed rate or flat out, for a bounded
// duration or count, and reports throughput, latency percentiles and errors
// per route; it checks that every accepted checkout became exactly one
// order with the right total. See internal/load and `shopload -h`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/serverless-shop/shop/internal/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := load.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
