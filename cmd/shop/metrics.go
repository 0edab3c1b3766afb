package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/metrics"
	"github.com/serverless-shop/shop/platform/outbox"
)

// sqsMaxReceiveCount is the redrive policy deploy/ gives every queue (a
// message goes to its DLQ after 5 receives), so the AWS bus can count a
// failure on the last receive as a dead letter.
const sqsMaxReceiveCount = 5

// instruments are one Main's metrics, on a registry of its own that the
// operator listener serves at /metrics. They exist only when there is an
// operator listener (SHOP_ADMIN_ADDR): nobody could read them otherwise, so
// nothing is counted. Every method works on a nil *instruments and then
// does nothing.
type instruments struct {
	reg      *prometheus.Registry
	http     *metrics.HTTP
	bus      *metrics.Bus
	store    *metrics.Store
	outboxes map[string]metrics.OutboxStatter
}

func newInstruments(cfg Config) *instruments {
	if cfg.AdminAddr == "" {
		return nil
	}
	reg := metrics.NewRegistry()
	return &instruments{
		reg:      reg,
		http:     metrics.NewHTTP(reg),
		bus:      metrics.NewBus(reg),
		store:    metrics.NewStore(reg),
		outboxes: map[string]metrics.OutboxStatter{},
	}
}

// requests are what the public router's request logger tells of each
// request: none when metrics are off.
func (in *instruments) requests() []httpx.RequestObserver {
	if in == nil {
		return nil
	}
	return []httpx.RequestObserver{in.http}
}

// busObserver is what the bus tells of its events; nil (not a nil
// *metrics.Bus in an interface) when metrics are off.
func (in *instruments) busObserver() bus.Observer {
	if in == nil {
		return nil
	}
	return in.bus
}

// subscriptions makes the subscriptions' series exist before their first event.
func (in *instruments) subscriptions(names ...string) {
	if in != nil {
		in.bus.Subscriptions(names...)
	}
}

// addOutbox has an outbox's depth and oldest event read at every scrape.
func (in *instruments) addOutbox(name string, s outbox.Store) {
	if st, ok := s.(metrics.OutboxStatter); ok && in != nil {
		in.outboxes[name] = st
	}
}

// handler registers what is read at scrape time and returns /metrics.
func (in *instruments) handler(log zerolog.Logger) http.Handler {
	in.reg.MustRegister(metrics.NewOutboxes(in.outboxes, func(name string, err error) {
		log.Warn().Err(err).Str("outbox", name).Msg("metrics: cannot read the outbox")
	}))
	return metrics.Handler(in.reg)
}
