// Package ebtest is a stand-in for Amazon EventBridge in tests: an HTTP
// server on loopback that answers PutEvents in EventBridge's JSON protocol,
// matches each entry against rules (bus, source and detail type → SQS
// queue) and sends the event, in the envelope an SQS target receives, to
// every matching queue through the real SQS API (the emulator in tests).
//
// It can be told to fail entries with given error codes, to exercise
// partial-failure handling. It does not check signatures.
package ebtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"
)

// Account and Region are what the envelopes this server sends carry.
const (
	Account = "000000000000"
	Region  = "us-east-1"
)

// maxSize is EventBridge's limit on one entry and on one request;
// maxResourceLen its limit on one entry of an entry's resources.
const (
	maxSize        = 256 * 1024
	maxResourceLen = 2048
)

// Rule routes matching events to a queue. Empty fields match anything.
type Rule struct {
	EventBusName string
	Sources      []string
	DetailTypes  []string
	QueueURL     string
}

func (r Rule) matches(e Entry) bool {
	return (r.EventBusName == "" || r.EventBusName == e.EventBusName) &&
		(len(r.Sources) == 0 || slices.Contains(r.Sources, e.Source)) &&
		(len(r.DetailTypes) == 0 || slices.Contains(r.DetailTypes, e.DetailType))
}

// Entry is one PutEvents request entry as the server received it.
type Entry struct {
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
	Resources    []string
	// Time is nil when the entry had none.
	Time *time.Time
}

// fault fails the next n entries that match with code.
type fault struct {
	code  string
	n     int
	match func(Entry) bool
}

// Server is a running EventBridge stand-in.
type Server struct {
	// URL is the server's base URL, for eventbridge.Options.BaseEndpoint.
	URL string

	sqs *sqs.Client

	mu     sync.Mutex
	rules  []Rule
	faults []*fault
	calls  [][]Entry
}

// New starts a server that forwards events with client and stops it when
// the test ends.
func New(tb testing.TB, client *sqs.Client) *Server {
	tb.Helper()
	s := &Server{sqs: client}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// ClientOptions points an EventBridge client at the server.
func (s *Server) ClientOptions(o *eventbridge.Options) { o.BaseEndpoint = aws.String(s.URL) }

// AddRule adds a rule; it applies to events put after it.
func (s *Server) AddRule(r Rule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, r)
}

// Fail makes the next n entries for which match returns true fail with
// the error code (e.g. ThrottlingException, InternalFailure,
// InvalidArgument); n < 0 fails every matching entry.
func (s *Server) Fail(code string, n int, match func(Entry) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{code: code, n: n, match: match})
}

// Calls returns the entries of every PutEvents call so far, call by call,
// including calls it refused as a whole (too large, a resource too long).
func (s *Server) Calls() [][]Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// wireEntry is an entry in EventBridge's JSON protocol; Time arrives as
// epoch seconds.
type wireEntry struct {
	Source       string          `json:"Source"`
	DetailType   string          `json:"DetailType"`
	Detail       string          `json:"Detail"`
	EventBusName string          `json:"EventBusName"`
	Resources    []string        `json:"Resources"`
	Time         json.RawMessage `json:"Time"`
}

type resultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// Delivered is an event as EventBridge delivers it to an SQS target: the
// body of the message the target receives.
type Delivered struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); r.Method != http.MethodPost || target != "AWSEvents.PutEvents" {
		apiError(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation "+target)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		apiError(w, http.StatusBadRequest, "SerializationException", "unexpected Content-Type "+ct)
		return
	}
	var in struct {
		Entries []wireEntry `json:"Entries"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if len(in.Entries) < 1 || len(in.Entries) > 10 {
		apiError(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf("%d entries; 1 to 10 allowed", len(in.Entries)))
		return
	}
	entries := make([]Entry, len(in.Entries))
	for i, we := range in.Entries {
		e, err := we.entry()
		if err != nil {
			apiError(w, http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		entries[i] = e
	}
	// Recorded before validation, so a test sees a call that EventBridge
	// refuses as a whole as well.
	s.mu.Lock()
	s.calls = append(s.calls, entries)
	s.mu.Unlock()
	total := 0
	for _, e := range entries {
		for _, res := range e.Resources {
			if len(res) > maxResourceLen {
				apiError(w, http.StatusBadRequest, "ValidationException", "a resource is longer than 2048 characters")
				return
			}
		}
		total += size(e)
	}
	if total > maxSize {
		apiError(w, http.StatusBadRequest, "ValidationException", "total size of the entries in the request is over the limit")
		return
	}

	out := struct {
		FailedEntryCount int           `json:"FailedEntryCount"`
		Entries          []resultEntry `json:"Entries"`
	}{Entries: make([]resultEntry, len(entries))}
	for i, e := range entries {
		out.Entries[i] = s.put(r.Context(), e)
		if out.Entries[i].ErrorCode != "" {
			out.FailedEntryCount++
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// put validates, fails or forwards one entry.
func (s *Server) put(ctx context.Context, e Entry) resultEntry {
	var detail map[string]json.RawMessage
	switch {
	case e.Source == "" || e.DetailType == "" || e.Detail == "":
		return resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Source, DetailType and Detail are required"}
	case json.Unmarshal([]byte(e.Detail), &detail) != nil || detail == nil:
		return resultEntry{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed"}
	case size(e) > maxSize:
		return resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "entry size exceeds the limit"}
	}
	if code := s.fault(e); code != "" {
		return resultEntry{ErrorCode: code, ErrorMessage: "ebtest: injected " + code}
	}
	id := uuid.NewString()
	t := time.Now()
	if e.Time != nil {
		t = *e.Time
	}
	body, err := json.Marshal(Delivered{
		Version: "0", ID: id, DetailType: e.DetailType, Source: e.Source, Account: Account,
		Time: t.UTC().Format("2006-01-02T15:04:05Z"), Region: Region,
		Resources: append([]string{}, e.Resources...), Detail: json.RawMessage(e.Detail),
	})
	if err != nil {
		return resultEntry{ErrorCode: "InternalFailure", ErrorMessage: err.Error()}
	}
	s.mu.Lock()
	rules := slices.Clone(s.rules)
	s.mu.Unlock()
	for _, rule := range rules {
		if !rule.matches(e) {
			continue
		}
		if _, err := s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(rule.QueueURL), MessageBody: aws.String(string(body))}); err != nil {
			return resultEntry{ErrorCode: "InternalFailure", ErrorMessage: "ebtest: forward to " + rule.QueueURL + ": " + err.Error()}
		}
	}
	return resultEntry{EventID: id}
}

func (s *Server) fault(e Entry) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.n != 0 && f.match(e) {
			if f.n > 0 {
				f.n--
			}
			return f.code
		}
	}
	return ""
}

// size counts an entry as EventBridge does.
func size(e Entry) int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

func (we wireEntry) entry() (Entry, error) {
	e := Entry{Source: we.Source, DetailType: we.DetailType, Detail: we.Detail, EventBusName: we.EventBusName, Resources: we.Resources}
	if e.EventBusName == "" {
		e.EventBusName = "default"
	}
	raw := bytes.TrimSpace(we.Time)
	if len(raw) == 0 || string(raw) == "null" {
		return e, nil
	}
	// The JSON protocol sends timestamps as epoch seconds; accept a quoted
	// number or an RFC 3339 string as well.
	var str string
	if json.Unmarshal(raw, &str) == nil {
		if t, err := time.Parse(time.RFC3339Nano, str); err == nil {
			e.Time = &t
			return e, nil
		}
		raw = []byte(str)
	}
	secs, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return Entry{}, fmt.Errorf("Time %s is not a timestamp", raw)
	}
	whole, frac := math.Modf(secs)
	t := time.Unix(int64(whole), int64(frac*1e9)).UTC()
	e.Time = &t
	return e, nil
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
