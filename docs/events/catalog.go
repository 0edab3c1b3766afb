// Package events is the event catalog as Go test code reads it: the JSON
// Schemas and golden examples of this folder, embedded, and the helpers the
// producers' and consumers' tests share to hold themselves to them.
//
// Only tests import this package, so neither the files nor the validator
// (santhosh-tekuri/jsonschema, a test dependency) reach the binary. The
// names the binary needs (sources, detail types, the order-date layout) are
// in platform/events, which producers, consumers and cmd/shop all import.
package events

import (
	"bytes"
	"embed"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus/ebtest"
	"github.com/serverless-shop/shop/platform/events"
)

// Files are the schemas and golden examples of the catalog.
//
//go:embed *.json
var Files embed.FS

// Names are the events of the catalog; each has <name>.schema.json (its
// detail) and <name>.json (a golden example, as EventBridge delivers it).
var Names = []string{events.ProductCreated, events.ProductUpdated, events.ProductDeleted, events.CheckoutBasket}

// Envelope names the schema of the EventBridge envelope every event travels
// in, for Validate.
const Envelope = "envelope"

// base is where the schemas are loaded from: a file URL, so that their
// relative $refs resolve among themselves without any network name.
const base = "file:///docs/events/"

// Golden returns the golden example of the named event: the whole event as
// an SQS target receives it from EventBridge.
func Golden(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := Files.ReadFile(name + ".json")
	if err != nil {
		tb.Fatalf("golden %s: %v", name, err)
	}
	return b
}

// GoldenEnvelope returns the golden example of the named event as a
// consumer's handler receives it, mapped as platform/bus/awsbus maps a
// delivered event (see FromDelivered).
func GoldenEnvelope(tb testing.TB, name string) bus.Envelope {
	tb.Helper()
	return FromDelivered(tb, Golden(tb, name))
}

// Validate fails tb unless doc is valid under the named schema: an event's
// name validates a detail, Envelope a whole delivered event (whose detail it
// validates by its detail-type).
func Validate(tb testing.TB, name string, doc []byte) {
	tb.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		tb.Fatalf("%s: not JSON: %v\n%s", name, err, doc)
	}
	if err := schema(tb, name).Validate(v); err != nil {
		tb.Fatalf("%s: %s\ndoes not meet its schema: %v", name, doc, err)
	}
}

// Check reports whether doc is valid under the named schema, with the
// validator's reason when not.
func Check(tb testing.TB, name string, doc []byte) error {
	tb.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return schema(tb, name).Validate(v)
}

func schema(tb testing.TB, name string) *jsonschema.Schema {
	tb.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	entries, err := Files.ReadDir(".")
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".schema.json") {
			continue
		}
		b, _ := Files.ReadFile(e.Name())
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			tb.Fatalf("%s: %v", e.Name(), err)
		}
		if err := c.AddResource(base+e.Name(), doc); err != nil {
			tb.Fatalf("%s: %v", e.Name(), err)
		}
	}
	s, err := c.Compile(base + name + ".schema.json")
	if err != nil {
		tb.Fatalf("compile %s: %v", name, err)
	}
	return s
}

// FromDelivered maps a delivered event to the envelope a consumer's handler
// receives: the ID and trace context from their resources
// (urn:shop:event-id:, urn:shop:traceparent:, urn:shop:tracestate:).
func FromDelivered(tb testing.TB, body []byte) bus.Envelope {
	tb.Helper()
	var d ebtest.Delivered
	if err := json.Unmarshal(body, &d); err != nil {
		tb.Fatalf("delivered event: %v\n%s", err, body)
	}
	e := bus.Envelope{ID: d.ID, Source: d.Source, DetailType: d.DetailType, Detail: d.Detail}
	if err := e.Time.UnmarshalText([]byte(d.Time)); err != nil {
		tb.Fatalf("delivered event's time %q: %v", d.Time, err)
	}
	for _, r := range d.Resources {
		if v, ok := strings.CutPrefix(r, "urn:shop:event-id:"); ok {
			e.ID = v
		} else if v, ok := strings.CutPrefix(r, "urn:shop:traceparent:"); ok {
			e.TraceParent = v
		} else if v, ok := strings.CutPrefix(r, "urn:shop:tracestate:"); ok {
			e.TraceState = v
		}
	}
	return e
}

// AssertGolden fails tb unless the delivered event got equals the named
// golden example as JSON, once the values at the volatile paths (ids, times)
// are taken from the golden. A path is /-separated, "*" for every element
// of an array, e.g. "/detail/items/*/productId".
func AssertGolden(tb testing.TB, name string, got []byte, volatile ...string) {
	tb.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		tb.Fatalf("%s: %v\n%s", name, err, got)
	}
	if err := json.Unmarshal(Golden(tb, name), &w); err != nil {
		tb.Fatalf("golden %s: %v", name, err)
	}
	for _, p := range volatile {
		g = copyPath(g, w, strings.Split(strings.TrimPrefix(p, "/"), "/"))
	}
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.MarshalIndent(g, "", "  ")
		wb, _ := json.MarshalIndent(w, "", "  ")
		tb.Fatalf("%s: emitted (volatile fields %v taken from the golden)\n%s\nwant the golden %s.json\n%s", name, volatile, gb, name, wb)
	}
}

// copyPath returns dst with the value at path replaced by src's, where
// both have one.
func copyPath(dst, src any, path []string) any {
	if len(path) == 0 {
		return src
	}
	switch d := dst.(type) {
	case map[string]any:
		s, ok := src.(map[string]any)
		if !ok {
			return dst
		}
		if _, in := d[path[0]]; in {
			if sv, in := s[path[0]]; in {
				d[path[0]] = copyPath(d[path[0]], sv, path[1:])
			}
		}
	case []any:
		s, ok := src.([]any)
		if !ok {
			return dst
		}
		for i := range d {
			if path[0] != "*" && path[0] != strconv.Itoa(i) {
				continue
			}
			if i < len(s) {
				d[i] = copyPath(d[i], s[i], path[1:])
			}
		}
	}
	return dst
}
