// Package tracing is the shop's OpenTelemetry: a tracer provider configured
// by the standard OTEL_* variables, a span per HTTP request named by route
// pattern, spans for store operations and for bus publish and handle, and
// the W3C trace context that every event carries from the change that
// caused it to its consumers.
//
// Tracing is off unless OTEL_TRACES_EXPORTER names an exporter other than
// "none": New then returns nil, and cmd/shop installs none of the hooks
// below, so an untraced process pays nothing for them.
//
// A consumer's span is a child, not a link, of the span that published the
// event. Every event here has one cause (a request) and each subscription
// handles it once per delivery, so the ordering module's work on a checkout
// is part of the checkout: one trace shows the request, the publish and the
// order, and a redelivery shows up as a second handle span under the same
// publish. Links are for a span with many causes (a batch), which this bus
// never hands a handler.
package tracing

import (
	"context"
	"net/http"
	"os"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
)

// Tracing starts the shop's spans and carries their context.
type Tracing struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	log    zerolog.Logger
}

// Enabled reports whether the environment asks for traces: OTEL_TRACES_EXPORTER
// set to an exporter other than "none".
func Enabled(getenv func(string) string) bool {
	v := getenv("OTEL_TRACES_EXPORTER")
	return v != "" && v != "none"
}

// New returns the tracing the environment (OTEL_*) configures, logging
// through log, or nil when Enabled is false. The exporter, its endpoint and
// protocol, the sampler and the resource (OTEL_SERVICE_NAME, default
// "shop") come from the standard variables.
func New(ctx context.Context, log zerolog.Logger) (*Tracing, error) {
	if !Enabled(os.Getenv) {
		return nil, nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(resource.NewSchemaless(attribute.String("service.name", "shop")),
		resource.Environment())
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return NewWith(tp, log), nil
}

// NewWith returns tracing on tp (a test's, with an in-memory exporter). Its
// propagator reads and writes W3C trace context; on Lambda
// (AWS_LAMBDA_FUNCTION_NAME set) it also reads the X-Ray header, after W3C.
func NewWith(tp *sdktrace.TracerProvider, log zerolog.Logger) *Tracing {
	props := []propagation.TextMapPropagator{propagation.TraceContext{}}
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		props = append(props, xray.Propagator{})
	}
	return &Tracing{tp: tp, tracer: tp.Tracer("github.com/serverless-shop/shop"),
		prop: propagation.NewCompositeTextMapPropagator(props...), log: log}
}

// Shutdown exports the spans still buffered and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.tp.Shutdown(ctx) }

// withLogger puts into ctx a logger whose lines carry the trace and span ids
// of ctx's span, for handlers that log through zerolog.Ctx; only when the
// span records, so a request the sampler left out pays nothing for it. It
// extends the logger ctx already carries (a bus handler's, with its
// subscription and event), or the tracing's own when there is none.
func (t *Tracing) withLogger(ctx context.Context) context.Context {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return ctx
	}
	base := zerolog.Ctx(ctx)
	if base.GetLevel() == zerolog.Disabled {
		base = &t.log
	}
	sc := span.SpanContext()
	l := base.With().Str("trace_id", sc.TraceID().String()).Str("span_id", sc.SpanID().String()).Logger()
	return l.WithContext(ctx)
}

// StartRequest starts the server span of r, a child of the trace context
// its headers carry (traceparent; X-Ray on Lambda). The span is named by
// route pattern when end is called, since the route is known only once the
// router has matched it. It implements httpx.RequestTracer.
func (t *Tracing) StartRequest(r *http.Request) (context.Context, func(route string, status int)) {
	ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := t.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
	return t.withLogger(ctx), func(route string, status int) {
		if route != "" {
			span.SetName(r.Method + " " + route)
			span.SetAttributes(attribute.String("http.route", route))
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
	}
}

// carrier reads and writes an envelope's trace context.
type carrier struct{ e *bus.Envelope }

func (c carrier) Get(key string) string {
	switch key {
	case "traceparent":
		return c.e.TraceParent
	case "tracestate":
		return c.e.TraceState
	}
	return ""
}

func (c carrier) Set(key, value string) {
	switch key {
	case "traceparent":
		c.e.TraceParent = value
	case "tracestate":
		c.e.TraceState = value
	}
}

func (c carrier) Keys() []string { return []string{"traceparent", "tracestate"} }

// w3c writes only W3C trace context into events: the X-Ray propagator is
// for reading Lambda's header, not for envelopes.
var w3c = propagation.TraceContext{}

// Stamp writes ctx's trace context into events, as they are made: the
// outbox keeps it with them.
func (t *Tracing) Stamp(ctx context.Context, events []bus.Envelope) {
	for i := range events {
		w3c.Inject(ctx, carrier{&events[i]})
	}
}

// Publisher returns pub with a producer span per event, a child of the
// context the event carries; the event goes on carrying the publish span's
// context, so its consumers are that span's children.
func (t *Tracing) Publisher(pub bus.Publisher) bus.Publisher {
	return publisher{t: t, pub: pub}
}

type publisher struct {
	t   *Tracing
	pub bus.Publisher
}

func (p publisher) Publish(ctx context.Context, events ...bus.Envelope) error {
	out := make([]bus.Envelope, len(events))
	spans := make([]trace.Span, len(events))
	for i, e := range events {
		sctx, span := p.t.tracer.Start(w3c.Extract(ctx, carrier{&e}), "publish "+e.DetailType,
			trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
				attribute.String("messaging.operation.type", "send"), attribute.String("messaging.message.id", e.ID)))
		w3c.Inject(sctx, carrier{&e})
		out[i], spans[i] = e, span
	}
	err := p.pub.Publish(ctx, out...)
	for _, s := range spans {
		if err != nil {
			s.SetStatus(codes.Error, err.Error())
		}
		s.End()
	}
	return err
}

// Handler returns h with a consumer span per call, a child of the context
// the event carries (see the package comment for why not a link); h's
// context carries the span and a logger with its ids.
func (t *Tracing) Handler(subscription string, h bus.Handler) bus.Handler {
	return func(ctx context.Context, e bus.Envelope) error {
		ctx, span := t.tracer.Start(w3c.Extract(ctx, carrier{&e}), "process "+e.DetailType,
			trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
				attribute.String("messaging.operation.type", "process"), attribute.String("messaging.message.id", e.ID),
				attribute.String("messaging.destination.subscription.name", subscription)))
		defer span.End()
		err := h(t.withLogger(ctx), e)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return err
	}
}

// StoreOp is one kind of store operation of a module, its span's name and
// attributes made once, so that starting its span allocates no more than
// the span itself.
type StoreOp struct {
	t    *Tracing
	name string
	opts []trace.SpanStartOption
}

// StoreOp returns the operation op of module's store on system ("bbolt",
// "dynamodb").
func (t *Tracing) StoreOp(system, module, op string) StoreOp {
	return StoreOp{t: t, name: module + " store " + op, opts: []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.String("db.system.name", system), attribute.String("db.operation.name", op),
			attribute.String("db.collection.name", module)),
	}}
}

// Start starts the operation's span, a child of ctx's span: the time a
// request or handler spent in its storage.
func (o StoreOp) Start(ctx context.Context) (context.Context, trace.Span) {
	return o.t.tracer.Start(ctx, o.name, o.opts...)
}

// EndStore ends a store span, marked failed when err is one: not-found
// and lost races are outcomes the service expects, so they are recorded on
// the span without failing it.
func EndStore(span trace.Span, err error) {
	if err != nil {
		span.SetAttributes(attribute.String("error.type", errs.Code(err)))
		if errs.Is(err, errs.Internal) || errs.Is(err, errs.Unavailable) {
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End()
}
