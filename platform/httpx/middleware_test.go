package httpx_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/testenv"
)

// TestRequestLogger holds the request line and headers to what operators
// and clients rely on, through a real server: the route pattern, status,
// bytes and signed-in user on the line; the client's X-Request-Id kept (in
// the header, the line and the handler's context) or a new one made;
// nosniff on every response; and a handler's deadline set through the
// logger's writer (BodyDeadline's http.ResponseController) reaching the
// connection.
func TestRequestLogger(t *testing.T) {
	var logs testenv.LogBuffer
	r := chi.NewRouter()
	r.Use(httpx.RequestLogger(zerolog.New(&logs)), httpx.BodyDeadline(time.Minute))
	var seenID string
	r.Post("/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		seenID = httpx.RequestID(r.Context())
		httpx.SetUser(r.Context(), "ada")
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through the logger's writer: %v", err)
		}
		w.WriteHeader(http.StatusCreated)
		w.WriteHeader(http.StatusInternalServerError) // superfluous: the first status stands
		_, _ = w.Write([]byte("hello"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Its complaint about the superfluous WriteHeader is expected.
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	url := "http://" + ln.Addr().String()

	for _, c := range []struct {
		name, sent string
		kept       bool
	}{{"ClientID", "client-42", true}, {"NewID", "has space", false}} {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			req, _ := http.NewRequest("POST", url+"/things/7", strings.NewReader("x"))
			req.Header.Set(httpx.RequestIDHeader, c.sent)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			id := res.Header.Get(httpx.RequestIDHeader)
			if (id == c.sent) != c.kept || id == "" {
				t.Errorf("sent id %q, got %q; want kept %v", c.sent, id, c.kept)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("got X-Content-Type-Options %q, want nosniff", got)
			}
			if res.StatusCode != http.StatusCreated {
				t.Errorf("got status %d, want 201", res.StatusCode)
			}
			var line struct {
				Message, RequestID, Method, Route, Path, User string
				Status, Bytes                                 int
			}
			// The line is written before the response is flushed.
			if err := json.Unmarshal(bytes.ReplaceAll(logs.Bytes(), []byte("_id"), []byte("ID")), &line); err != nil {
				t.Fatalf("log %q: %v", logs.String(), err)
			}
			want := struct {
				Message, RequestID, Method, Route, Path, User string
				Status, Bytes                                 int
			}{"request", id, "POST", "/things/{id}", "/things/7", "ada", http.StatusCreated, 5}
			if line != want {
				t.Errorf("got line %+v, want %+v", line, want)
			}
			if seenID != id {
				t.Errorf("the handler's context has request id %q, want %q", seenID, id)
			}
		})
	}
}
