package httpx

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/serverless-shop/shop/platform/errs"
)

// Params admits a request whose query string is well-formed and names only
// the allowed parameters, each at most once; any other is answered 400. Every
// route states its parameters with it, none for a route that takes none, so
// that handlers may read r.URL.Query(), which silently drops what it cannot
// decode.
func Params(allowed ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := CheckQuery(r.URL.RawQuery, allowed...); err != nil {
				Error(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CheckQuery parses a raw query string strictly and returns an errs.Invalid
// error naming each parameter that is badly percent-encoded, not one of
// allowed, or given more than once.
func CheckQuery(raw string, allowed ...string) error {
	if raw == "" {
		return nil
	}
	bad := errs.Fields{}
	seen := make([]string, 0, 4)
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		// url.ParseQuery, which r.URL.Query() uses, drops a pair holding a
		// semicolon (it once separated pairs): it must come as %3B.
		if err != nil || strings.Contains(rawName, ";") {
			return errs.Errorf(errs.Invalid, "The query string is not valid percent-encoding.")
		}
		switch {
		case !slices.Contains(allowed, name):
			bad.Add(name, "is not a parameter of this route")
		case slices.Contains(seen, name):
			bad.Add(name, "must be given at most once")
		}
		seen = append(seen, name)
		if _, err := url.QueryUnescape(rawValue); err != nil || strings.Contains(rawValue, ";") {
			bad.Add(name, "is not valid percent-encoding")
		}
	}
	return bad.Err()
}
