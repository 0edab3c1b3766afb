// Package page is keyset pagination shared by every listing: a request for at
// most Limit items after an opaque cursor, and a page with the next cursor.
package page

import (
	"encoding/base64"
	"encoding/json"
	"errors"
)

// Limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Request asks for at most Limit items after Cursor.
type Request struct {
	Limit  int
	Cursor Cursor
}

// Cursor is the position after which a page starts: the key attributes of
// the last item of the previous page. Nil means the start.
type Cursor map[string]string

// Encode returns the opaque text form of c, or "" for a nil cursor.
func (c Cursor) Encode() string {
	if c == nil {
		return ""
	}
	b, ok := c.appendPlain(make([]byte, 0, 128))
	if !ok {
		b, _ = json.Marshal(map[string]string(c))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// appendPlain appends c as json.Marshal would, for the usual cursor: a few
// keys and values of printable ASCII that JSON quotes as they are. It
// reports false for any other, which json.Marshal then encodes; every page
// but the last ends with a cursor, and reflecting over its map was a third
// of a listing's allocations.
func (c Cursor) appendPlain(b []byte) ([]byte, bool) {
	var keys [4]string
	if len(c) > len(keys) {
		return b, false
	}
	n := 0
	for k := range c {
		keys[n] = k
		n++
	}
	// Insertion sort: json.Marshal sorts a map's keys.
	for i := 1; i < n; i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	b = append(b, '{')
	for i, k := range keys[:n] {
		v := c[k]
		if !plain(k) || !plain(v) {
			return b, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(append(append(b, '"'), k...), `":"`...), v...), '"')
	}
	return append(b, '}'), true
}

// plain reports whether encoding/json quotes s as it is: printable ASCII
// without the characters it escapes.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// ErrCursor reports text that is not a cursor Encode produced.
var ErrCursor = errors.New("not a cursor this server issued")

// Decode parses the text form produced by Encode.
func Decode(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrCursor
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || len(c) == 0 {
		return nil, ErrCursor
	}
	return c, nil
}

// Page is one page of items and the cursor of the next page, nil at the end.
type Page[T any] struct {
	Items []T
	Next  Cursor
}
