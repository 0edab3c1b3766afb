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
	b, _ := json.Marshal(map[string]string(c))
	return base64.RawURLEncoding.EncodeToString(b)
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
