package http

import (
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
)

// buffers hold the encoded responses of the read routes between requests:
// the response writer copies a body, so its buffer can serve the next one.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeEncoded writes what encode appends as a 200 JSON response, in a
// pooled buffer.
func writeEncoded(w http.ResponseWriter, encode func([]byte) []byte) {
	bp := buffers.Get().(*[]byte)
	b := encode((*bp)[:0])
	httpx.WriteJSON(w, http.StatusOK, b)
	if cap(b) <= 64<<10 {
		// A page of large products is let go rather than kept.
		*bp = b[:0]
		buffers.Put(bp)
	}
}

// appendPage appends pg as httpx.WriteList would write it, byte for byte
// (TestAppendPage holds it to that), without reflection: a page of 50 was
// mostly encoding/json's work.
func appendPage(b []byte, pg page.Page[*product.Product]) []byte {
	b = append(b, `{"items":[`...)
	for i, p := range pg.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendProduct(b, p)
	}
	b = append(b, ']')
	if next := pg.Next.Encode(); next != "" {
		b = append(b, `,"nextCursor":`...)
		b = appendString(b, next)
	}
	return append(b, '}')
}

// appendProduct appends p as encoding/json would marshal it, byte for byte
// (FuzzAppendProduct holds it to that). GET /product/{id} is the hottest
// route, and reflection plus the re-validation encoding/json does after
// every MarshalJSON were a tenth of its cost.
func appendProduct(b []byte, p *product.Product) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, p.ID)
	b = append(b, `,"name":`...)
	b = appendString(b, p.Name)
	b = append(b, `,"description":`...)
	b = appendString(b, p.Description)
	b = append(b, `,"imageFile":`...)
	b = appendString(b, p.ImageFile)
	b = append(b, `,"price":`...)
	b = p.Price.AppendText(b)
	b = append(b, `,"category":`...)
	b = appendString(b, p.Category)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, p.Version, 10)
	b = append(b, `,"createdAt":"`...)
	b = appendTime(b, p.CreatedAt)
	b = append(b, `","updatedAt":"`...)
	b = appendTime(b, p.UpdatedAt)
	return append(b, `"}`...)
}

// appendTime appends t as t.AppendFormat(b, time.RFC3339Nano) would. The
// stores return UTC times, which it writes itself: AppendFormat's general
// layout interpreter was a tenth of a page of 50's CPU.
func appendTime(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	if t.Location() != time.UTC || y < 0 || y > 9999 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	h, mi, s := t.Clock()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10), 'T')
	b = append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if ns := t.Nanosecond(); ns != 0 {
		var frac [9]byte
		for i := 8; i >= 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 9
		for frac[n-1] == '0' {
			n--
		}
		b = append(append(b, '.'), frac[:n]...)
	}
	return append(b, 'Z')
}

const hex = "0123456789abcdef"

// htmlSafe tells the ASCII bytes encoding/json writes as they are: one
// lookup per byte instead of six comparisons, which were 40 % of
// appendString's time in a profile of the list.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString quotes s as encoding/json does, HTML-safe escaping included.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
