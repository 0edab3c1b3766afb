package httpx_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/httpx"
)

type decodeItem struct {
	ProductID string         `json:"productId"`
	Quantity  int            `json:"quantity"`
	Hint      jsontext.Value `json:"hint"`
}

type decodeBody struct {
	Name  string            `json:"name"`
	Price *int64            `json:"price"`
	Tags  map[string]string `json:"tags"`
	Items []decodeItem      `json:"items"`
	OK    bool              `json:"ok"`
}

func decodeRequest(body io.Reader, contentType string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/x", body)
	r.Header.Set("Content-Type", contentType)
	return r
}

func TestDecode(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var v decodeBody
		err := httpx.Decode(decodeRequest(strings.NewReader(`{"name":"a","price":3,"items":[{"productId":"p","quantity":2,"hint":{"x":1}}]} `), "application/json; charset=utf-8"), &v)
		if err != nil || v.Name != "a" || *v.Price != 3 || len(v.Items) != 1 || v.Items[0].Quantity != 2 {
			t.Fatalf("got %+v, %v", v, err)
		}
	})
	for _, c := range []struct {
		name, body string
		code       string
		field      string // the field the error names, if any
		reason     string // what it says of it, or of the body
	}{
		{"ErrEmpty", ``, errs.Invalid, "", "empty"},
		{"ErrNotAnObject", `[1]`, errs.Invalid, "", "must be a JSON object"},
		{"ErrNull", `null`, errs.Invalid, "", "must be a JSON object"},
		{"ErrTrailing", `{"name":"a"} {}`, errs.Invalid, "", "single JSON value"},
		{"ErrTruncated", `{"name":"a"`, errs.Invalid, "", "ends too early"},
		{"ErrSyntax", `{"name":"a",}`, errs.Invalid, "", "Malformed JSON at byte"},
		{"ErrNameCase", `{"NAME":"upper","PRICE":3}`, errs.Invalid, "NAME", "is not a known field"},
		{"ErrUnknown", `{"name":"a","colour":"red"}`, errs.Invalid, "colour", "is not a known field"},
		{"ErrUnknownInItem", `{"items":[{"productId":"p"},{"qty":1}]}`, errs.Invalid, "items[1].qty", "is not a known field"},
		{"ErrDigitsNameInItem", `{"items":[{"0":1}]}`, errs.Invalid, "items[0].0", "is not a known field"},
		{"ErrDuplicate", `{"name":"a","name":"b"}`, errs.Invalid, "name", "must not be repeated"},
		{"ErrDuplicateInHint", `{"items":[{"hint":{"x":1,"x":2}}]}`, errs.Invalid, "items[0].hint.x", "must not be repeated"},
		{"ErrFractionalInteger", `{"items":[{"quantity":2.5}]}`, errs.Invalid, "items[0].quantity", "must be an integer"},
		{"ErrStringForInteger", `{"price":"3"}`, errs.Invalid, "price", "must be an integer"},
		{"ErrHugeInteger", `{"price":1e40}`, errs.Invalid, "price", "must be an integer"},
		{"ErrNumberForString", `{"name":1}`, errs.Invalid, "name", "must be a string"},
		{"ErrNumberForBoolean", `{"ok":1}`, errs.Invalid, "ok", "must be a boolean"},
		{"ErrObjectForArray", `{"items":{}}`, errs.Invalid, "items", "must be an array"},
		{"ErrNumberForObject", `{"items":[1]}`, errs.Invalid, "items[0]", "must be an object"},
		{"ErrInMap", `{"tags":{"a":1}}`, errs.Invalid, "tags.a", "must be a string"},
		{"ErrInvalidUTF8", "{\"name\":\"a\xff\"}", errs.Invalid, "", "Malformed JSON at byte 10, in name."},
		{"ErrLoneSurrogate", `{"name":"\udc00"}`, errs.Invalid, "", "Malformed JSON at byte"},
		{"ErrRawControl", "{\"name\":\"a\x1b\"}", errs.Invalid, "", "Malformed JSON at byte"},
		{"ErrTooLarge", `{"name":"` + strings.Repeat("a", httpx.MaxBodyBytes) + `"}`, errs.TooLarge, "", "must not exceed"},
		{"ErrTooLargeTrailing", `{"name":"a"}` + strings.Repeat(" ", httpx.MaxBodyBytes), errs.TooLarge, "", "must not exceed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v decodeBody
			err := httpx.Decode(decodeRequest(strings.NewReader(c.body), "application/json"), &v)
			assertProblem(t, err, c.code, c.field, c.reason)
		})
	}
	t.Run("ErrContentType", func(t *testing.T) {
		var v decodeBody
		err := httpx.Decode(decodeRequest(strings.NewReader(`{}`), "text/plain"), &v)
		assertProblem(t, err, errs.Unsupported, "", "application/json")
	})
	// What the connection fails with never reaches the client.
	for _, c := range []struct {
		name   string
		err    error
		code   string
		reason string
	}{
		{"ErrTimeout", &timeoutError{}, errs.Timeout, "The request body did not arrive in time."},
		{"ErrBrokenBody", errors.New("read tcp 127.0.0.1:8080->127.0.0.1:5555: malformed chunked encoding"), errs.Invalid, "Malformed request body."},
		{"ErrCutShort", io.ErrUnexpectedEOF, errs.Invalid, "Malformed request body."},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v decodeBody
			body := io.MultiReader(strings.NewReader(`{"name":"a`), errReader{c.err})
			err := httpx.Decode(decodeRequest(body, "application/json"), &v)
			assertProblem(t, err, c.code, "", c.reason)
			if strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "chunked") {
				t.Errorf("error %q quotes the connection's error", err)
			}
		})
	}
}

// assertProblem fails unless err has the code and, when field is set, names
// exactly that field with reason; else its message contains reason.
func assertProblem(tb testing.TB, err error, code, field, reason string) {
	tb.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		tb.Fatalf("got %v, want an *errs.Error with code %s", err, code)
	}
	if e.Code != code {
		tb.Fatalf("got code %s (%v), want %s", e.Code, err, code)
	}
	if field != "" {
		if got, ok := e.Fields[field]; !ok || got != reason || len(e.Fields) != 1 {
			tb.Fatalf("got fields %v, want {%s: %s}", e.Fields, field, reason)
		}
		return
	}
	if !strings.Contains(e.Message, reason) {
		tb.Fatalf("got message %q, want it to contain %q", e.Message, reason)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// timeoutError is what a read past the connection's deadline fails with.
type timeoutError struct{}

func (*timeoutError) Error() string   { return "read tcp 127.0.0.1:8080->127.0.0.1:5555: i/o timeout" }
func (*timeoutError) Timeout() bool   { return true }
func (*timeoutError) Temporary() bool { return true }

// TestWriteJSON holds an encoded document's response to its framing: the
// body and a newline, as JSON, with a Content-Length (net/http's own for a
// small body, WriteJSON's for a large one), never chunked, and to HEAD the
// same length without the body.
func TestWriteJSON(t *testing.T) {
	for name, doc := range map[string]string{
		"Small": `{"a":1}`,
		"Large": `{"a":"` + strings.Repeat("x", 5000) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				httpx.WriteJSON(w, http.StatusOK, []byte(doc))
			}))
			defer srv.Close()
			for _, method := range []string{"GET", "HEAD"} {
				req, _ := http.NewRequest(method, srv.URL, nil)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				want := doc + "\n"
				if method == "HEAD" {
					want = ""
				}
				if string(body) != want || res.ContentLength != int64(len(doc)+1) || len(res.TransferEncoding) > 0 ||
					res.Header.Get("Content-Type") != "application/json" {
					t.Errorf("%s: got %d bytes, Content-Length %d, Transfer-Encoding %v, Content-Type %q; want %d bytes, length %d, not chunked, JSON",
						method, len(body), res.ContentLength, res.TransferEncoding, res.Header.Get("Content-Type"), len(want), len(doc)+1)
				}
			}
		})
	}
}
