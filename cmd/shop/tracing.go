package main

import (
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/httpx"
)

// tracingShutdownTimeout bounds how long Close waits for the last spans to
// be exported.
const tracingShutdownTimeout = 5 * time.Second

// requestTracer is the request logger's tracer: nil, not a nil pointer in an
// interface, when tracing is off, so requests skip it.
func (m *Main) requestTracer() httpx.RequestTracer {
	if m.tracing == nil {
		return nil
	}
	return m.tracing
}

// tracedPublisher gives pub a span per published event when tracing is on.
func (m *Main) tracedPublisher(pub bus.Publisher) bus.Publisher {
	if m.tracing == nil {
		return pub
	}
	return m.tracing.Publisher(pub)
}

// tracedHandler gives h a span per call when tracing is on.
func (m *Main) tracedHandler(subscription string, h bus.Handler) bus.Handler {
	if m.tracing == nil {
		return h
	}
	return m.tracing.Handler(subscription, h)
}
