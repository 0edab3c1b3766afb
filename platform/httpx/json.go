package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/serverless-shop/shop/platform/errs"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// Decode reads one JSON object from r's body into v. It rejects a wrong
// content type (415), a body over MaxBodyBytes (413), malformed JSON, unknown
// fields, wrongly typed fields and trailing data (400, naming the field).
func Decode(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return errs.Errorf(errs.Unsupported, "Content-Type must be application/json.")
	}
	body := http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return decodeError(err)
		}
		return errs.Errorf(errs.Invalid, "The body must hold a single JSON value.")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		invalid *errs.Error
	)
	switch {
	case errors.As(err, &tooBig):
		return errs.Errorf(errs.TooLarge, "The body must not exceed %d bytes.", MaxBodyBytes)
	case errors.As(err, &syntax):
		return errs.Errorf(errs.Invalid, "Malformed JSON at byte %d.", syntax.Offset)
	case errors.Is(err, io.EOF):
		return errs.Errorf(errs.Invalid, "The body is empty; a JSON object is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Errorf(errs.Invalid, "Malformed JSON: the body ends too early.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errs.Errorf(errs.Invalid, "The body must be a JSON object.")
		}
		return errs.Fields{typ.Field: "must be a " + jsonKind(typ.Type.Kind().String())}.Err()
	case errors.As(err, &invalid):
		return err
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Fields{name: "is not a known field"}.Err()
	default:
		return errs.Errorf(errs.Invalid, "Malformed JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	default:
		return "number"
	}
}

// JSON writes v as application/json with the given status. Only types that
// always marshal are passed here, so an encoding failure is a programming
// error; the encoder fails before writing anything.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("httpx: marshal %T: %v", v, err))
	}
}

// WriteJSON writes b, an already encoded JSON document, with the given status.
func WriteJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
