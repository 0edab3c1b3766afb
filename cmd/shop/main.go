// Command shop is the whole shop in one binary: the product, basket and
// ordering modules on an embedded store and in-process bus by default, or on
// DynamoDB, EventBridge and SQS when configured.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 {
		if os.Args[1] != "token" {
			fmt.Fprintf(os.Stderr, "shop: unknown command %q\nusage: shop            serve the API\n       shop token ...  print a dev access token (shop token -h)\n", os.Args[1])
			os.Exit(2)
		}
		if err := runToken(os.Args[2:], os.Environ(), os.Stdout, os.Stderr); err != nil {
			if !errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(os.Stderr, "shop token: "+err.Error())
			}
			os.Exit(2)
		}
		return
	}
	cfg, err := LoadConfig(os.Environ())
	if err != nil {
		fmt.Fprintln(os.Stderr, "shop: "+err.Error())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	out, flush := logOutput(cfg)
	m := NewMain(cfg, out)
	if err := m.Run(ctx); err != nil {
		m.Close()
		m.log.Error().Err(err).Msg("start failed")
		flush()
		os.Exit(1)
	}
	<-ctx.Done()
	m.log.Info().Msg("shutting down")
	if err := m.Close(); err != nil {
		m.log.Error().Err(err).Msg("shutdown failed")
		flush()
		os.Exit(1)
	}
	flush()
}

// logOutput is stdout, buffered (logBuffer) unless SHOP_LOG_FLUSH_INTERVAL
// is 0. flush writes what is buffered; lines logged after it go straight
// through.
func logOutput(cfg Config) (out io.Writer, flush func()) {
	if cfg.LogFlushInterval <= 0 {
		return os.Stdout, func() {}
	}
	b := newLogBuffer(os.Stdout, cfg.LogFlushInterval)
	return b, func() { _ = b.Close() }
}
