package events_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	catalog "github.com/serverless-shop/shop/docs/events"
	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/money"
)

// TestGoldens: every golden example is a valid delivered event whose detail
// meets its event's schema, and maps to the envelope consumers receive.
func TestGoldens(t *testing.T) {
	for _, name := range catalog.Names {
		t.Run(name, func(t *testing.T) {
			g := catalog.Golden(t, name)
			catalog.Validate(t, catalog.Envelope, g)
			e := catalog.GoldenEnvelope(t, name)
			catalog.Validate(t, name, e.Detail)
			if e.DetailType != name || e.ID == "" || !strings.HasPrefix(e.ID, "019") {
				t.Errorf("golden %s maps to %+v, want detail-type %s and the event-id resource as ID", name, e, name)
			}
		})
	}
}

// TestNamesDefinedOnce: the schemas name the sources and detail types that
// platform/events defines, and bound money as platform/money does.
func TestNamesDefinedOnce(t *testing.T) {
	var env struct {
		Properties struct {
			DetailType struct {
				Enum []string `json:"enum"`
			} `json:"detail-type"`
			Source struct {
				Enum []string `json:"enum"`
			} `json:"source"`
		} `json:"properties"`
	}
	mustUnmarshal(t, schemaFile(t, "envelope"), &env)
	if got := env.Properties.DetailType.Enum; !slices.Equal(got, catalog.Names) {
		t.Errorf("envelope's detail types %v, want %v", got, catalog.Names)
	}
	if got, want := env.Properties.Source.Enum, []string{events.ProductSource, events.CheckoutSource}; !slices.Equal(got, want) {
		t.Errorf("envelope's sources %v, want %v", got, want)
	}
	for name, source := range map[string]string{events.ProductCreated: events.ProductSource, events.ProductUpdated: events.ProductSource,
		events.ProductDeleted: events.ProductSource, events.CheckoutBasket: events.CheckoutSource} {
		if g := catalog.GoldenEnvelope(t, name); g.Source != source {
			t.Errorf("golden %s has source %q, want %q", name, g.Source, source)
		}
	}

	var common struct {
		Defs map[string]struct {
			Maximum json.Number `json:"maximum"`
			Pattern string      `json:"pattern"`
		} `json:"$defs"`
	}
	mustUnmarshal(t, schemaFile(t, "common"), &common)
	for def, want := range map[string]money.Amount{"unitPrice": money.MaxUnitPrice, "total": money.MaxTotal} {
		if got, err := money.Parse(string(common.Defs[def].Maximum)); err != nil || got != want {
			t.Errorf("common %s maximum %s, want money's bound %s", def, common.Defs[def].Maximum, want)
		}
	}
	if got := common.Defs["quantity"].Maximum; got != json.Number(fmt.Sprint(money.MaxQuantity)) {
		t.Errorf("common quantity maximum %s, want %d", got, money.MaxQuantity)
	}
	if !strings.Contains(common.Defs["priceString"].Pattern, strings.ReplaceAll(money.MaxUnitPrice.String(), ".", `\.`)) {
		t.Errorf("priceString pattern %q does not end at MaxUnitPrice %s", common.Defs["priceString"].Pattern, money.MaxUnitPrice)
	}
	var checkout struct {
		Properties struct {
			Items struct {
				MaxItems int `json:"maxItems"`
			} `json:"items"`
		} `json:"properties"`
	}
	mustUnmarshal(t, schemaFile(t, events.CheckoutBasket), &checkout)
	if got := checkout.Properties.Items.MaxItems; got != money.MaxLines {
		t.Errorf("checkout maxItems %d, want money.MaxLines %d", got, money.MaxLines)
	}
}

// TestSchemasRefuse: the schemas are not vacuous; each refuses what its
// consumer could not act on, at the bounds.
func TestSchemasRefuse(t *testing.T) {
	product := func(edit func(map[string]any)) []byte { return editDetail(t, events.ProductCreated, edit) }
	checkout := func(edit func(map[string]any)) []byte { return editDetail(t, events.CheckoutBasket, edit) }
	line := func(d map[string]any) map[string]any { return d["items"].([]any)[0].(map[string]any) }
	largest := checkout(func(d map[string]any) {
		items := make([]any, money.MaxLines)
		for i := range items {
			items[i] = map[string]any{"productId": fmt.Sprint("p", i), "productName": "", "color": "",
				"quantity": money.MaxQuantity, "unitPrice": json.Number(money.MaxUnitPrice.String()),
				"lineTotal": json.Number((money.MaxUnitPrice * money.MaxQuantity).String())}
		}
		d["items"], d["totalPrice"] = items, json.Number(money.MaxTotal.String())
	})
	if err := catalog.Check(t, events.CheckoutBasket, largest); err != nil {
		t.Fatalf("the largest checkout the bounds allow is refused: %v", err)
	}
	if err := catalog.Check(t, events.ProductCreated, product(func(d map[string]any) { d["price"] = "10000000.00" })); err != nil {
		t.Fatalf("a price of MaxUnitPrice is refused: %v", err)
	}
	for name, c := range map[string]struct {
		schema string
		doc    []byte
	}{
		"PriceOverMax":        {events.ProductCreated, product(func(d map[string]any) { d["price"] = "10000000.01" })},
		"PriceOneDecimal":     {events.ProductCreated, product(func(d map[string]any) { d["price"] = "950.4" })},
		"PriceNumber":         {events.ProductCreated, product(func(d map[string]any) { d["price"] = 950.40 })},
		"PriceNegative":       {events.ProductCreated, product(func(d map[string]any) { d["price"] = "-1.00" })},
		"VersionZero":         {events.ProductCreated, product(func(d map[string]any) { d["version"] = 0 })},
		"UnknownField":        {events.ProductCreated, product(func(d map[string]any) { d["colour"] = "red" })},
		"CreatedDeleted":      {events.ProductCreated, product(func(d map[string]any) { d["deleted"] = true })},
		"NoProductID":         {events.ProductCreated, product(func(d map[string]any) { delete(d, "productId") })},
		"TotalOverMax":        {events.CheckoutBasket, checkout(func(d map[string]any) { d["totalPrice"] = 1000000000000.01 })},
		"MeasuredTotal":       {events.CheckoutBasket, checkout(func(d map[string]any) { d["totalPrice"] = 1200000000000.00 })},
		"UnitPriceOverMax":    {events.CheckoutBasket, checkout(func(d map[string]any) { line(d)["unitPrice"] = 10000000.01 })},
		"QuantityOverMax":     {events.CheckoutBasket, checkout(func(d map[string]any) { line(d)["quantity"] = 1001 })},
		"QuantityZero":        {events.CheckoutBasket, checkout(func(d map[string]any) { line(d)["quantity"] = 0 })},
		"ThreeDecimals":       {events.CheckoutBasket, checkout(func(d map[string]any) { line(d)["unitPrice"] = 1.005 })},
		"NoLines":             {events.CheckoutBasket, checkout(func(d map[string]any) { d["items"] = []any{} })},
		"CardNumber":          {events.CheckoutBasket, checkout(func(d map[string]any) { d["cardLast4"] = "4111111111111111" })},
		"UserNameWithHash":    {events.CheckoutBasket, checkout(func(d map[string]any) { d["userName"] = "a#b" })},
		"NotATime":            {events.CheckoutBasket, checkout(func(d map[string]any) { d["checkedOutAt"] = "yesterday" })},
		"TooManyLines":        {events.CheckoutBasket, editDetail(t, events.CheckoutBasket, func(d map[string]any) { d["items"] = slices.Repeat(d["items"].([]any), 51) })},
		"EnvelopeNoEventID":   {catalog.Envelope, editEnvelope(t, events.ProductCreated, func(e map[string]any) { e["resources"] = []any{} })},
		"EnvelopeWrongSource": {catalog.Envelope, editEnvelope(t, events.CheckoutBasket, func(e map[string]any) { e["source"] = events.ProductSource })},
		"EnvelopeBadDetail":   {catalog.Envelope, editEnvelope(t, events.ProductUpdated, func(e map[string]any) { delete(e["detail"].(map[string]any), "price") })},
		"EnvelopeBadTrace":    {catalog.Envelope, editEnvelope(t, events.CheckoutBasket, func(e map[string]any) { e["resources"].([]any)[1] = "urn:shop:traceparent:nope" })},
		"EnvelopeOtherType":   {catalog.Envelope, editEnvelope(t, events.ProductCreated, func(e map[string]any) { e["detail-type"] = "ProductRenamed" })},
	} {
		t.Run(name, func(t *testing.T) {
			if err := catalog.Check(t, c.schema, c.doc); err == nil {
				t.Errorf("%s accepts %s", c.schema, c.doc)
			}
		})
	}
}

func schemaFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := catalog.Files.ReadFile(name + ".schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// editEnvelope returns the named golden event after edit.
func editEnvelope(t *testing.T, name string, edit func(map[string]any)) []byte {
	t.Helper()
	var e map[string]any
	mustUnmarshal(t, catalog.Golden(t, name), &e)
	edit(e)
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editDetail returns the named golden event's detail after edit.
func editDetail(t *testing.T, name string, edit func(map[string]any)) []byte {
	t.Helper()
	var d map[string]any
	mustUnmarshal(t, catalog.GoldenEnvelope(t, name).Detail, &d)
	edit(d)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
