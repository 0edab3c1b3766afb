package main

import (
	"context"
	"time"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/product"
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

// The stamping stores sit between a module's service and its store, like
// the timed ones, and write the caller's trace context into the events
// the change causes, before they enter the outbox: the modules know nothing
// of tracing. They are installed only when tracing is on.

type stampedProducts struct {
	product.Store
	m *Main
}

var _ product.Store = (*stampedProducts)(nil)

func (m *Main) stampProducts(s product.Store) product.Store {
	if m.tracing == nil {
		return s
	}
	return &stampedProducts{Store: s, m: m}
}

func (s *stampedProducts) Create(ctx context.Context, p *product.Product, events []bus.Envelope) error {
	s.m.tracing.Stamp(ctx, events)
	return s.Store.Create(ctx, p, events)
}

func (s *stampedProducts) Update(ctx context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) (*product.Product, error) {
	return s.Store.Update(ctx, id, s.stamp(ctx, fn))
}

func (s *stampedProducts) Delete(ctx context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) error {
	return s.Store.Delete(ctx, id, s.stamp(ctx, fn))
}

func (s *stampedProducts) stamp(ctx context.Context, fn func(*product.Product) ([]bus.Envelope, error)) func(*product.Product) ([]bus.Envelope, error) {
	return func(p *product.Product) ([]bus.Envelope, error) {
		events, err := fn(p)
		s.m.tracing.Stamp(ctx, events)
		return events, err
	}
}

type stampedBaskets struct {
	basket.Store
	m *Main
}

var _ basket.Store = (*stampedBaskets)(nil)

func (m *Main) stampBaskets(s basket.Store) basket.Store {
	if m.tracing == nil {
		return s
	}
	return &stampedBaskets{Store: s, m: m}
}

func (s *stampedBaskets) CheckOut(ctx context.Context, b *basket.Basket, rec *basket.KeyedReceipt, events []bus.Envelope) error {
	s.m.tracing.Stamp(ctx, events)
	return s.Store.CheckOut(ctx, b, rec, events)
}
