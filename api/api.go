// Package api is the shop's published HTTP contract: openapi.yaml (OpenAPI
// 3.1), served as YAML and as JSON, and the reference page at /docs that
// renders it with Swagger UI. All of it is embedded in the binary, and the
// page loads nothing from other hosts.
package api

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
	"go.yaml.in/yaml/v4"

	"github.com/serverless-shop/shop/platform/httpx"
)

//go:embed openapi.yaml
var specYAML []byte

// The reference page and the Swagger UI assets that tools/docs/update.sh
// copies from the pinned npm package. They are []byte variables rather than
// an embed.FS, whose ReadFile copies: Register, which every start runs,
// then copies nothing (it copied 1.9 MB).
var (
	//go:embed docs/index.html
	docsPage []byte
	//go:embed docs/init.js
	docsInit []byte
	//go:embed docs/swagger-ui-bundle.js
	docsBundle []byte
	//go:embed docs/swagger-ui.css
	docsCSS []byte
)

// docsPolicy lets the reference page use only this server's scripts, styles
// and data, so a page that tried to reach a CDN would fail, loudly, in the
// browser test too. Swagger UI sets inline styles.
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Spec returns the OpenAPI document as YAML.
func Spec() []byte { return append([]byte(nil), specYAML...) }

// Register adds the document and its reference page to r, for anyone:
// GET /openapi.yaml, GET /openapi.json, GET /docs and GET /docs/{asset}.
// None of them takes a query parameter.
func Register(r chi.Router) {
	yamlDoc := newContent(specYAML, "application/yaml")
	r.Get("/openapi.yaml", yamlDoc.ServeHTTP)
	r.Get("/openapi.json", func(w http.ResponseWriter, r *http.Request) { jsonDoc().ServeHTTP(w, r) })
	page := newContent(docsPage, "text/html; charset=utf-8")
	r.Get("/docs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docsPolicy)
		page.ServeHTTP(w, r)
	})
	assets := map[string]*content{
		"swagger-ui-bundle.js": newContent(docsBundle, "text/javascript; charset=utf-8"),
		"swagger-ui.css":       newContent(docsCSS, "text/css; charset=utf-8"),
		"init.js":              newContent(docsInit, "text/javascript; charset=utf-8"),
	}
	r.Get("/docs/{asset}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[chi.URLParam(r, "asset")]
		if !ok {
			httpx.NotFound(w, r)
			return
		}
		a.ServeHTTP(w, r)
	})
}

// jsonDoc converts the document to JSON once, on the first request for it,
// rather than on every start: no start pays for it.
var jsonDoc = sync.OnceValue(func() *content {
	b, err := ToJSON(specYAML)
	if err != nil {
		// TestSpecJSON converts the embedded document; this cannot happen
		// in a binary whose tests passed.
		panic(fmt.Sprintf("api: openapi.yaml: %v", err))
	}
	return newContent(b, "application/json")
})

// ToJSON converts a YAML document to JSON. Mapping keys come out sorted,
// which changes nothing an OpenAPI reader sees.
func ToJSON(doc []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// content is a static response that caches may keep if they ask first.
type content struct {
	body        []byte
	contentType string
	// etag hashes body on the first request rather than at Register: the
	// Swagger UI bundle took 9 ms of every start to hash, for a page few
	// starts ever serve.
	etag func() string
}

func newContent(body []byte, contentType string) *content {
	return &content{body: body, contentType: contentType, etag: sync.OnceValue(func() string {
		sum := sha256.Sum256(body)
		return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	})}
}

func (c *content) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	etag := c.etag()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	if matches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", c.contentType)
	h.Set("Content-Length", strconv.Itoa(len(c.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(c.body)
}

// matches reports whether an If-None-Match header names etag (RFC 9110
// 13.1.2: weak comparison, "*" matches any).
func matches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
