package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/serverless-shop/shop/platform/errs"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// Decode reads one JSON object from r's body into v. It rejects a wrong
// content type (415), a body over MaxBodyBytes (413), a body that does not
// arrive before the connection's read deadline (408), a broken body (400),
// and malformed JSON, member names that are not exactly v's (in letter case
// too), repeated or unknown members, wrongly typed members and trailing data
// (400, naming the field as items[0].quantity). No message quotes the
// decoder's or the network's own words.
func Decode(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return errs.Errorf(errs.Unsupported, "Content-Type must be application/json.")
	}
	body := &bodyReader{r: http.MaxBytesReader(nil, r.Body, MaxBodyBytes)}
	// The decoder's defaults are the strict rules: names match exactly,
	// duplicate names and invalid UTF-8 are errors.
	dec := jsontext.NewDecoder(body)
	if k := dec.PeekKind(); k != '{' && k != 0 {
		return errs.Errorf(errs.Invalid, "The body must be a JSON object.")
	}
	err = jsonv2.UnmarshalDecode(dec, v, jsonv2.RejectUnknownMembers(true), jsonv2.WithUnmarshalers(refuseNull))
	if err == nil {
		if _, err = dec.ReadToken(); errors.Is(err, io.EOF) {
			return nil
		}
		if body.err == nil {
			return errs.Errorf(errs.Invalid, "The body must hold a single JSON value.")
		}
	}
	if body.err != nil {
		return readError(body.err)
	}
	return decodeError(reflect.TypeOf(v), err)
}

// refuseNull makes null a wrongly typed value wherever it appears, rather
// than the zero value it would decode to: the API has no nullable fields.
// Raw values (jsontext.Value) are left to their handler.
var refuseNull = jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v any) error {
	if _, raw := v.(*jsontext.Value); raw || dec.PeekKind() != 'n' {
		return errors.ErrUnsupported
	}
	return errNull
})

var errNull = errors.New("null")

// bodyReader keeps the first error reading the body, so that a failure of
// the connection is told from a failure of the JSON.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// readError turns a failure to read the body into a problem that says
// nothing of the connection: no address, no Go error text.
func readError(err error) error {
	var (
		tooBig *http.MaxBytesError
		ne     net.Error
	)
	switch {
	case errors.As(err, &tooBig):
		return errs.Errorf(errs.TooLarge, "The body must not exceed %d bytes.", MaxBodyBytes)
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return errs.Errorf(errs.Timeout, "The request body did not arrive in time.")
	default:
		// A broken chunked encoding, or a connection closed before the
		// announced length.
		return errs.Errorf(errs.Invalid, "Malformed request body.")
	}
}

// decodeError turns a decoding error into an Invalid problem; t is the type
// decoded into, which tells array indexes from member names in its paths.
func decodeError(t reflect.Type, err error) error {
	var (
		syntax   *jsontext.SyntacticError
		semantic *jsonv2.SemanticError
	)
	switch {
	case errors.Is(err, io.EOF):
		return errs.Errorf(errs.Invalid, "The body is empty; a JSON object is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Errorf(errs.Invalid, "Malformed JSON: the body ends too early.")
	case errors.As(err, &syntax):
		field := fieldPath(t, syntax.JSONPointer)
		switch {
		case errors.Is(err, jsontext.ErrDuplicateName):
			return errs.Fields{field: "must not be repeated"}.Err()
		case field != "":
			return errs.Errorf(errs.Invalid, "Malformed JSON at byte %d, in %s.", syntax.ByteOffset, field)
		}
		return errs.Errorf(errs.Invalid, "Malformed JSON at byte %d.", syntax.ByteOffset)
	case errors.As(err, &semantic):
		field := fieldPath(t, semantic.JSONPointer)
		switch {
		case errors.Is(err, jsonv2.ErrUnknownName):
			return errs.Fields{field: "is not a known field"}.Err()
		case errors.Is(err, errNull) && field != "":
			return errs.Fields{field: "must not be null"}.Err()
		case field == "":
			return errs.Errorf(errs.Invalid, "The body must be a JSON object.")
		}
		return errs.Fields{field: "must be " + wanted(semantic.GoType)}.Err()
	default:
		// Nothing else is expected; whatever it is, its text stays out.
		return errs.Errorf(errs.Invalid, "Malformed JSON.")
	}
}

// wanted names the JSON a Go type is decoded from, for "must be …".
func wanted(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return "a valid value"
	}
}

// fieldPath renders a JSON Pointer into v's type as the path the problem
// names: "/items/0/quantity" becomes "items[0].quantity". The type tells an
// array index from a member name that happens to be digits.
func fieldPath(t reflect.Type, p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t != nil && opaque(t) {
			t = nil
		}
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			b.WriteString("[" + tok + "]")
			t = t.Elem()
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		t = memberType(t, tok)
	}
	return b.String()
}

// opaque reports whether t decodes itself, so that its type says nothing of
// the JSON inside it.
func opaque(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t == reflect.TypeFor[jsontext.Value]() ||
		p.Implements(reflect.TypeFor[jsonv2.Unmarshaler]()) || p.Implements(reflect.TypeFor[jsonv2.UnmarshalerFrom]())
}

// memberType is the type of t's member name, nil when unknown.
func memberType(t reflect.Type, name string) reflect.Type {
	switch {
	case t == nil:
		return nil
	case t.Kind() == reflect.Map:
		return t.Elem()
	case t.Kind() != reflect.Struct:
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name || tag == "" && f.Name == name {
			return f.Type
		}
	}
	return nil
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
	b = append(b, '\n')
	h := w.Header()
	// Assigned, not Set, sparing a slice per response; nobody changes it
	// in place.
	h["Content-Type"] = jsonContentType
	if len(b) > chunkingSize {
		// net/http counts a smaller body itself; a larger one it would
		// send chunked, which costs the terminating chunk's write(2).
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// chunkingSize is the body net/http buffers before it chunks a response
// without a Content-Length (its bufferBeforeChunkingSize).
const chunkingSize = 2048

var jsonContentType = []string{"application/json"}
