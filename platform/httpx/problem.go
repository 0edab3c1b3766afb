// Package httpx is the HTTP floor shared by the modules: problem+json error
// rendering, strict JSON decoding, pagination parameters and middleware.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/errs"
)

// ProblemType is the base of every problem's "type" URI: a URN, so that it
// names the kind of problem without pointing at a host nobody runs.
const ProblemType = "urn:shop:problem:"

// statuses is the one table mapping error codes to HTTP statuses.
var statuses = map[string]int{
	errs.Invalid:       http.StatusBadRequest,
	errs.Unauthorized:  http.StatusUnauthorized,
	errs.Forbidden:     http.StatusForbidden,
	errs.NotFound:      http.StatusNotFound,
	errs.Timeout:       http.StatusRequestTimeout,
	errs.Conflict:      http.StatusConflict,
	errs.Unprocessable: http.StatusUnprocessableEntity,
	errs.TooLarge:      http.StatusRequestEntityTooLarge,
	errs.Unsupported:   http.StatusUnsupportedMediaType,
	errs.Unavailable:   http.StatusServiceUnavailable,
	errs.Internal:      http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem names one offending input field.
type FieldProblem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Status returns the HTTP status for err's code.
func Status(err error) int {
	if s, ok := statuses[errs.Code(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// StatusClientClosedRequest is what a request whose client hung up before
// the answer is logged and counted with (nginx's 499): not a server error,
// since nothing failed but the client's patience, and never sent.
const StatusClientClosedRequest = 499

// Error writes err as application/problem+json. Internal errors are logged
// at error and unavailable ones at warn, and neither message is shown to the
// client. An error with a wait (errs.RetryAfter: every unavailable one, and
// any that names one) carries Retry-After. An error that is the request's
// own context ending, because its client hung up, is answered
// StatusClientClosedRequest without a body and logged at debug.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	if ClientGone(r, err) {
		zerolog.Ctx(r.Context()).Debug().Err(err).Str("request_id", RequestID(r.Context())).Msg("client closed the request")
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	code := errs.Code(err)
	status := Status(err)
	p := Problem{Type: ProblemType + code, Title: http.StatusText(status), Status: status, Instance: r.URL.Path}
	if d := errs.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	}
	var e *errs.Error
	switch {
	case status >= 500:
		ev := zerolog.Ctx(r.Context()).Error()
		if status == http.StatusServiceUnavailable {
			// An outage of a dependency, told by the readiness check and
			// the dependency's own alarms; one line per refused request
			// at error would bury what else goes wrong meanwhile.
			ev = zerolog.Ctx(r.Context()).Warn()
		}
		ev.Err(err).Str("code", code).Str("request_id", RequestID(r.Context())).Msg("request failed")
		if code == errs.Internal {
			p.Type = ProblemType + errs.Internal
		}
		p.Detail = "Internal error."
		if status == http.StatusServiceUnavailable {
			p.Detail = "A dependency is unavailable; try again later."
		}
	case errors.As(err, &e):
		p.Detail = e.Message
		p.Errors = fieldProblems(e.Fields)
	}
	WriteProblem(w, p)
}

// ClientGone reports whether err is r's context ending because its client
// went away (the server cancels it when the connection closes), as opposed
// to a failure of the server's own making such as a dependency's timeout.
func ClientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled)
}

// WriteProblem writes p with its status.
func WriteProblem(w http.ResponseWriter, p Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	// An error is about this request: a cache must not answer another with it.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	// Details quote what the client sent or must send, such as "<token>";
	// the body is never HTML, so those stay readable.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

func fieldProblems(fields map[string]string) []FieldProblem {
	if len(fields) == 0 {
		return nil
	}
	out := make([]FieldProblem, 0, len(fields))
	for f, reason := range fields {
		out = append(out, FieldProblem{Field: f, Reason: reason})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// NotFound answers unknown routes with a 404 problem.
func NotFound(w http.ResponseWriter, r *http.Request) {
	Error(w, r, errs.Errorf(errs.NotFound, "No route for %s.", r.URL.Path))
}

// MethodNotAllowed answers a known route with a wrong method with a 405
// problem carrying Allow (RFC 9110), and OPTIONS, which no route serves,
// with 204 and Allow. As the router's (chi's) MethodNotAllowed handler, it
// asks the router which methods the path has, and answers 404 for a path
// that has none; a handler that calls it outside a router sets Allow first.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.Routes != nil {
		allowed := allowedMethods(rctx.Routes, r)
		if allowed == nil {
			NotFound(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	WriteProblem(w, Problem{
		Type:     ProblemType + "method_not_allowed",
		Title:    http.StatusText(http.StatusMethodNotAllowed),
		Status:   http.StatusMethodNotAllowed,
		Detail:   "Method " + r.Method + " is not allowed on " + r.URL.Path + ".",
		Instance: r.URL.Path,
	})
}

// routedMethods are the methods a route may be registered for; HEAD and
// OPTIONS are answered for every route (see GetHead and MethodNotAllowed).
var routedMethods = []string{http.MethodDelete, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodPut}

// allowedMethods lists, in order, the methods the request's path is served
// with by routes, nil if none. routes is the root router, which chi keeps in
// the routing context; the path is cleaned as middleware.CleanPath does.
func allowedMethods(routes chi.Routes, r *http.Request) []string {
	p := r.URL.RawPath
	if p == "" {
		p = r.URL.Path
	}
	p = path.Clean(p)
	var allowed []string
	for _, m := range routedMethods {
		if matches(routes, m, p) {
			allowed = append(allowed, m)
		}
	}
	if allowed == nil {
		return nil
	}
	if slices.Contains(allowed, http.MethodGet) {
		allowed = append(allowed, http.MethodHead)
	}
	allowed = append(allowed, http.MethodOptions)
	slices.Sort(allowed)
	return allowed
}

// matches reports whether routes serve method on p. chi's own Match takes
// the root of a mounted router (/product) for a route of every method, so
// that is asked of the mounted router itself, as "/".
func matches(routes chi.Routes, method, p string) bool {
	for _, rt := range routes.Routes() {
		if prefix, ok := strings.CutSuffix(rt.Pattern, "/*"); ok && rt.SubRoutes != nil && (p == prefix || p == prefix+"/") {
			return matches(rt.SubRoutes, method, "/")
		}
	}
	return routes.Match(chi.NewRouteContext(), method, p)
}
