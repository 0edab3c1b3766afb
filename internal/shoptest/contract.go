package shoptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/serverless-shop/shop/api"
)

// passThroughPath is where Lambda's SQS event source posts through the Web
// Adapter: served, but not part of the published contract.
const passThroughPath = "/events"

// contract holds exchanges to api/openapi.yaml, the published contract.
// Every exchange of Do, Must and TryDo goes through it:
//
//   - a request the spec refuses (a wrong type, an unknown field or query
//     parameter, a missing bearer token, ...) must be answered 4xx;
//   - every response must be one the spec allows for the operation: a
//     listed status, its required headers, a body matching its schema.
//
// The spec states some answers once for every path rather than per
// operation; they are checked here: HEAD answers as GET does without a body,
// OPTIONS answers 204 with Allow, a path's missing method 405 with Allow,
// and an unknown path 404.
type contract struct {
	spec   *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	// The reference page and its assets are text the spec does not look into.
	for _, ct := range []string{"text/html", "text/css", "text/javascript"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
	spec, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("route openapi.yaml: %w", err)
	}
	return &contract{spec: spec, router: router}, nil
})

// exchange is one request as sent and the response it got.
type exchange struct {
	method, target string // target is the path and query, as sent
	header         http.Header
	body           []byte
	res            Response
	// open is set when the shop runs without authentication (SHOP_AUTH=none),
	// where no operation needs a token.
	open bool
}

// check returns what in x the spec does not allow, nil if nothing.
func (c *contract) check(x exchange) error {
	req, err := http.NewRequest(x.method, "http://shop"+x.target, bytes.NewReader(x.body))
	if err != nil {
		return err
	}
	if req.URL.Path == passThroughPath {
		return nil
	}
	req.Header = x.header.Clone()
	// The router cleans paths before matching (middleware.CleanPath), as the
	// spec's conventions say: /product/ is /product.
	if clean := path.Clean(req.URL.EscapedPath()); clean != req.URL.EscapedPath() {
		if req.URL, err = req.URL.Parse(clean + "?" + req.URL.RawQuery); err != nil {
			return err
		}
	}

	route, params, err := c.find(req)
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		return c.checkGeneric(x, req, "NotFound", http.StatusNotFound, "")
	case errors.Is(err, routers.ErrMethodNotAllowed) && req.Method == http.MethodOptions:
		return c.checkGeneric(x, req, "Options", http.StatusNoContent, c.allow(req))
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return c.checkGeneric(x, req, "MethodNotAllowed", http.StatusMethodNotAllowed, c.allow(req))
	case err != nil:
		return err
	}

	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.options(x)}
	if refused := c.validateRequest(in); refused != nil && (x.res.Status < 400 || x.res.Status > 499) {
		return fmt.Errorf("the spec refuses the request (%v), yet it was answered %d", refused, x.res.Status)
	}
	return validateResponse(in, x.res)
}

// validateResponse holds res to the responses of in's operation. A
// response to HEAD is held to GET's, without a body (openapi3filter would
// not look at it at all).
func validateResponse(in *openapi3filter.RequestValidationInput, res Response) error {
	if in.Request.Method == http.MethodHead {
		if len(res.Body) > 0 {
			return fmt.Errorf("HEAD answered with a body of %d bytes", len(res.Body))
		}
		get := *in
		get.Request = in.Request.Clone(in.Request.Context())
		get.Request.Method = http.MethodGet
		opts := *in.Options
		opts.ExcludeResponseBody = true
		get.Options = &opts
		in = &get
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                in.Options,
	})
}

// find routes req to its operation; HEAD is routed to the path's GET, which
// it answers without a body. Path parameters are returned decoded, as the
// server decodes them.
func (c *contract) find(req *http.Request) (*routers.Route, map[string]string, error) {
	r := req
	if req.Method == http.MethodHead {
		r = req.Clone(req.Context())
		r.Method = http.MethodGet
	}
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range params {
		if u, err := url.PathUnescape(v); err == nil {
			params[k] = u
		}
	}
	return route, params, nil
}

func (c *contract) options(x exchange) *openapi3filter.Options {
	auth := bearerPresent
	if x.open {
		auth = openapi3filter.NoopAuthenticationFunc
	}
	return &openapi3filter.Options{
		AuthenticationFunc:                auth,
		IncludeResponseStatus:             true,
		RejectWhenRequestBodyNotSpecified: true,
		SkipSettingDefaults:               true,
	}
}

// validateRequest returns why the spec refuses the request, nil if it does
// not. Besides the operation's parameters, body and security, the spec's
// conventions refuse a query string that is badly percent-encoded, names a
// parameter the operation does not define, or names one twice.
func (c *contract) validateRequest(in *openapi3filter.RequestValidationInput) error {
	defined := map[string]bool{}
	for _, p := range append(slices.Clone(in.Route.PathItem.Parameters), in.Route.Operation.Parameters...) {
		if p.Value.In == openapi3.ParameterInQuery {
			defined[p.Value.Name] = true
		}
	}
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(in.Request.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err == nil {
			_, err = url.QueryUnescape(rawValue)
		}
		switch {
		case err != nil:
			return fmt.Errorf("query %q: %v", pair, err)
		case !defined[name]:
			return fmt.Errorf("query parameter %q is not defined", name)
		case seen[name]:
			return fmt.Errorf("query parameter %q is given twice", name)
		}
		seen[name] = true
	}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// checkGeneric checks a response that the spec describes once for every
// path, as components.responses[name]: it must have status want, and allow,
// when set, is the Allow header it must carry (compared as a set).
func (c *contract) checkGeneric(x exchange, req *http.Request, name string, want int, allow string) error {
	if x.res.Status != want {
		return fmt.Errorf("got %d, want %d (%s)", x.res.Status, want, name)
	}
	if allow != "" && !sameMethods(x.res.Header.Get("Allow"), allow) {
		return fmt.Errorf("Allow: %q, want %q", x.res.Header.Get("Allow"), allow)
	}
	ref := c.spec.Components.Responses[name]
	route := &routers.Route{Spec: c.spec, Method: req.Method, Path: req.URL.Path,
		Operation: &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(want, ref))}}
	return validateResponse(&openapi3filter.RequestValidationInput{Request: req, Route: route, Options: c.options(x)}, x.res)
}

// allow is the Allow header the spec implies for req's path: its
// operations' methods, HEAD where it has GET, and OPTIONS.
func (c *contract) allow(req *http.Request) string {
	var methods []string
	for _, m := range []string{http.MethodDelete, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodPut} {
		r := req.Clone(req.Context())
		r.Method = m
		if _, _, err := c.router.FindRoute(r); err == nil {
			methods = append(methods, m)
			if m == http.MethodGet {
				methods = append(methods, http.MethodHead)
			}
		}
	}
	methods = append(methods, http.MethodOptions)
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

func sameMethods(a, b string) bool {
	split := func(s string) []string {
		var out []string
		for m := range strings.SplitSeq(s, ",") {
			out = append(out, strings.TrimSpace(m))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(split(a), split(b))
}

// bearerPresent holds a request to the spec's bearer scheme: an
// Authorization header with a Bearer token. Whether the token is valid is
// the server's to say (401).
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return fmt.Errorf("security scheme %s is not bearer", in.SecuritySchemeName)
	}
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return in.NewError(errors.New("no bearer token"))
	}
	return nil
}
