package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/api"
)

func load(t *testing.T, doc []byte) *openapi3.T {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return spec
}

// TestSpecIsValid checks the document against OpenAPI 3.1, its examples
// against their schemas, and the habits every operation follows.
func TestSpecIsValid(t *testing.T) {
	spec := load(t, api.Spec())
	if !spec.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %s, want 3.1", spec.OpenAPI)
	}
	if err := spec.Validate(t.Context(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || len(op.Tags) == 0 || op.Summary == "" {
				t.Errorf("%s: wants an operationId, a tag and a summary", name)
			}
			// Any route answers 400 to a query parameter it does not define,
			// and any handler may fail.
			for _, status := range []int{400, 500} {
				if op.Responses.Status(status) == nil {
					t.Errorf("%s: does not list %d", name, status)
				}
			}
			public := op.Security != nil && len(*op.Security) == 0
			if got := op.Responses.Status(401) != nil; got == public {
				t.Errorf("%s: lists 401 = %v, but public = %v", name, got, public)
			}
			if op.RequestBody != nil {
				for _, status := range []int{408, 413, 415} {
					if op.Responses.Status(status) == nil {
						t.Errorf("%s: takes a body but does not list %d", name, status)
					}
				}
			}
		}
	}
}

// TestSpecNamesEveryProblemType checks that each problem type the Problem
// schema lists has a response that answers it, and no other.
func TestSpecNamesEveryProblemType(t *testing.T) {
	spec := load(t, api.Spec())
	var listed []string
	for _, v := range spec.Components.Schemas["Problem"].Value.Properties["type"].Value.Enum {
		listed = append(listed, v.(string))
	}
	var answered []string
	for name, r := range spec.Components.Responses {
		mt := r.Value.Content.Get("application/problem+json")
		if mt == nil {
			continue
		}
		// A response answers one type (const), or a few that share its
		// status (enum), such as checkout's two kinds of 409.
		typ := mt.Schema.Value.AllOf[1].Value.Properties["type"].Value
		types := typ.Enum
		if typ.Const != nil {
			types = []any{typ.Const}
		}
		if len(types) == 0 {
			t.Errorf("response %s: its type is neither a const nor an enum", name)
			continue
		}
		for _, v := range types {
			answered = append(answered, v.(string))
		}
	}
	slices.Sort(listed)
	slices.Sort(answered)
	answered = slices.Compact(answered)
	if !slices.Equal(listed, answered) {
		t.Errorf("problem types: the schema lists %v, the responses answer %v", listed, answered)
	}
}

// TestSpecJSON checks that the JSON the binary serves is the YAML document.
func TestSpecJSON(t *testing.T) {
	j, err := api.ToJSON(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := json.Marshal(load(t, api.Spec()))
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := json.Marshal(load(t, j))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromYAML, fromJSON) {
		t.Error("openapi.json differs from openapi.yaml")
	}
}

func TestServe(t *testing.T) {
	r := chi.NewRouter()
	api.Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	wantJSON, err := api.ToJSON(api.Spec())
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		path, contentType string
		want              []byte // nil: only non-empty
	}{
		{"/openapi.yaml", "application/yaml", api.Spec()},
		{"/openapi.json", "application/json", wantJSON},
		{"/docs", "text/html; charset=utf-8", nil},
		{"/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8", nil},
		{"/docs/swagger-ui.css", "text/css; charset=utf-8", nil},
		{"/docs/init.js", "text/javascript; charset=utf-8", nil},
	} {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			res, body := get(t, srv.URL+c.path, "")
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != c.contentType {
				t.Fatalf("got %d %q, want 200 %q", res.StatusCode, res.Header.Get("Content-Type"), c.contentType)
			}
			if len(body) == 0 || (c.want != nil && !bytes.Equal(body, c.want)) {
				t.Errorf("body (%d bytes) is not the expected one", len(body))
			}
			etag := res.Header.Get("ETag")
			if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("ETag %q, Cache-Control %q: want an ETag and no-cache", etag, res.Header.Get("Cache-Control"))
			}
			again, body := get(t, srv.URL+c.path, etag)
			if again.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("If-None-Match %s: got %d with %d bytes, want 304 without a body", etag, again.StatusCode, len(body))
			}
		})
	}

	t.Run("CSP", func(t *testing.T) {
		res, _ := get(t, srv.URL+"/docs", "")
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("Content-Security-Policy %q does not keep scripts to this server", csp)
		}
	})
	t.Run("UnknownAsset", func(t *testing.T) {
		res, _ := get(t, srv.URL+"/docs/swagger-ui.js.map", "")
		if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("got %d %s, want a 404 problem", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}

func get(t *testing.T, url, ifNoneMatch string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}
