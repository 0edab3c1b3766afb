package main

import (
	"encoding/json"
	"os"
	"testing"
)

// TestRulesMatchTheEventCatalog holds the stack's event names to the event
// catalog (docs/events), where the main module defines them once: deploy/
// is a module of its own and cannot import platform/events, so it reads
// the envelope schema that pairs each detail type with its source.
func TestRulesMatchTheEventCatalog(t *testing.T) {
	raw, err := os.ReadFile("../docs/events/envelope.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		AllOf []struct {
			If struct {
				Properties struct {
					DetailType struct {
						Const string `json:"const"`
					} `json:"detail-type"`
				} `json:"properties"`
			} `json:"if"`
			Then struct {
				Properties struct {
					Source struct {
						Const string `json:"const"`
					} `json:"source"`
				} `json:"properties"`
			} `json:"then"`
		} `json:"allOf"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	catalog := map[string]string{} // detail type → source
	for _, c := range schema.AllOf {
		catalog[c.If.Properties.DetailType.Const] = c.Then.Properties.Source.Const
	}
	want := map[string]string{CheckoutDetailType: CheckoutSource}
	for _, dt := range ProductDetailTypes {
		want[dt] = ProductSource
	}
	for dt, source := range want {
		if got, ok := catalog[dt]; !ok || got != source {
			t.Errorf("the stack routes %s from %q; the catalog says %q (known: %v)", dt, source, got, ok)
		}
	}
	for dt := range catalog {
		if _, ok := want[dt]; !ok {
			t.Errorf("the catalog's %s has no rule in the stack", dt)
		}
	}
}
