package boltdb

import (
	"bytes"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/page"
)

// ScanPage reads one page of a keyset listing: entries of c whose keys start
// with prefix, in key order, strictly after the key after (from the start of
// the prefix when after is nil). decode turns an entry into an item, or
// skips it with ok false. When another item follows the page, the page's
// Next is next(last item); it costs reading that one item, never a count.
func ScanPage[T any](c *bbolt.Cursor, prefix, after []byte, limit int,
	decode func(k, v []byte) (item T, ok bool, err error), next func(last T) page.Cursor) (page.Page[T], error) {
	var out page.Page[T]
	k, v := c.Seek(prefix)
	if after != nil {
		k, v = c.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		item, ok, err := decode(k, v)
		if err != nil {
			return page.Page[T]{}, err
		}
		if !ok {
			continue
		}
		if len(out.Items) == limit {
			out.Next = next(out.Items[len(out.Items)-1])
			return out, nil
		}
		out.Items = append(out.Items, item)
	}
	return out, nil
}

// After is the key a cursor value names, or nil when the listing starts
// from the beginning.
func After(prefix []byte, cursorValue string) []byte {
	if cursorValue == "" {
		return nil
	}
	return append(append([]byte(nil), prefix...), cursorValue...)
}
