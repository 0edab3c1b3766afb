package page_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/page"
)

// FuzzCursor decodes arbitrary text as a cursor and encodes cursors of
// arbitrary content: never a panic; a cursor Decode accepts is not empty
// and round-trips through Encode; a cursor Encode makes is accepted and
// decodes to itself. Keys and values come from JSON (a request body, an
// event, a store key made of those), so they are valid UTF-8.
func FuzzCursor(f *testing.F) {
	f.Add("eyJpZCI6IjAxOTM1YzJlIn0", "id", "01935c2e", "", "")
	f.Add("eyJ1c2VyTmFtZSI6ImFkYSIsIm9yZGVyRGF0ZSI6IjIwMjYtMTEtMjdUMDg6MDA6MDAuMTIzNDU2Nzg5WiJ9",
		"userName", "ada", "orderDate", "2026-11-27T08:00:00.123456789Z")
	f.Add("eyJjYXRlZ29yeSI6IlBob25lIiwiaWQiOiJ4In0", "category", "Phone", "id", "x")
	for _, s := range []string{"", "e30", "bnVsbA", "W10", "eyJpZCI6MX0", "eyJpZCI6bnVsbH0", "bm90LWEtY3Vyc29y",
		"eyJpZCI6IngifQ==", "eyJpZCI6IngifQ", "eyJpZCI6IngifQ.", "eyJpZCI6IngiLCJpZCI6InkifQ", "eyJpZCI6Ilx1MDAwMCJ9",
		"eyJpZCI6Ilx1ZDgwMCJ9", "+/+/", "-_-_", "eyJJRCI6IngifQ"} {
		f.Add(s, "", "", "", "")
	}
	f.Add("", "id", "\x00\xff", "\u2028", "<&>")
	f.Fuzz(func(t *testing.T, text, k1, v1, k2, v2 string) {
		if c, err := page.Decode(text); err == nil {
			if len(c) == 0 {
				t.Fatalf("Decode(%q) accepted an empty cursor", text)
			}
			back, err := page.Decode(c.Encode())
			if err != nil || !maps.Equal(back, c) {
				t.Fatalf("Decode(%q) = %v, whose Encode %q decodes to %v, %v", text, c, c.Encode(), back, err)
			}
		} else if c != nil {
			t.Fatalf("Decode(%q) = %v with error %v, want nil", text, c, err)
		}

		c := page.Cursor{strings.ToValidUTF8(k1, "\uFFFD"): strings.ToValidUTF8(v1, "\uFFFD")}
		if k2 != "" {
			c[strings.ToValidUTF8(k2, "\uFFFD")] = strings.ToValidUTF8(v2, "\uFFFD")
		}
		s := c.Encode()
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return !isURLSafe(r) }) {
			t.Fatalf("Encode(%v) = %q, want non-empty URL-safe text", c, s)
		}
		back, err := page.Decode(s)
		if err != nil || !maps.Equal(back, c) {
			t.Fatalf("Encode(%v) = %q, which decodes to %v, %v", c, s, back, err)
		}
	})
}

// isURLSafe reports whether r needs no escaping in a query value: a cursor
// travels as one.
func isURLSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

func TestNilCursorEncodesEmpty(t *testing.T) {
	if got := page.Cursor(nil).Encode(); got != "" {
		t.Errorf("nil cursor encodes to %q, want \"\"", got)
	}
	if c, err := page.Decode(""); err == nil {
		t.Errorf(`Decode("") = %v, nil; want an error`, c)
	}
}

// FuzzCursorEncode holds Encode to the text it has always made,
// base64url of json.Marshal of the map, whatever the keys and values: its
// fast path for plain ASCII must not change a cursor's text.
func FuzzCursorEncode(f *testing.F) {
	f.Add("id", "01935c2e", "category", "Phone", "", "", false)
	f.Add("userName", "ada", "orderDate", "2026-11-27T08:00:00.123456789Z", "z", "", true)
	f.Add("id", "<&>", "a\"b", "c\\d", "\u2028", "\x00\xff", true)
	f.Add("b", "x", "a", "y", "c", "z", true)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string, five bool) {
		c := page.Cursor{k1: v1, k2: v2, k3: v3}
		if five {
			c["\x7fkey"], c["~"] = "x", "~"
		}
		b, err := json.Marshal(map[string]string(c))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.Encode(), base64.RawURLEncoding.EncodeToString(b); got != want {
			t.Fatalf("Encode(%q) = %q, want %q (%s)", c, got, want, b)
		}
	})
}
