package bolt

import (
	"encoding/binary"
	"errors"
	"time"
)

// The stored form of a product is a version byte followed by varint-length
// strings and varint numbers. It decodes several times faster than JSON,
// and decoding is most of the work of GET /product/{id}.
const codecV1 = 1

var errCorrupt = errors.New("product record: corrupt")

// record is the stored form of a product.
type record struct {
	ID, Name, Description, ImageFile, Category string
	PriceCents, Version                        int64
	CreatedAt, UpdatedAt                       time.Time
}

func (r *record) marshal() []byte {
	n := 1 + 5*binary.MaxVarintLen64 + len(r.ID) + len(r.Name) + len(r.Description) + len(r.ImageFile) + len(r.Category) + 4*binary.MaxVarintLen64
	b := make([]byte, 0, n)
	b = append(b, codecV1)
	for _, s := range []string{r.ID, r.Name, r.Description, r.ImageFile, r.Category} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, v := range []int64{r.PriceCents, r.Version, r.CreatedAt.UnixNano(), r.UpdatedAt.UnixNano()} {
		b = binary.AppendVarint(b, v)
	}
	return b
}

func (r *record) unmarshal(b []byte) error {
	if len(b) == 0 || b[0] != codecV1 {
		return errCorrupt
	}
	// The strings share one allocation: a copy of the bytes from the first
	// to the last, length prefixes included, sliced five ways.
	var at [5][2]int
	i := 1
	for f := range at {
		n, k := binary.Uvarint(b[i:])
		if k <= 0 || uint64(len(b)-i-k) < n {
			return errCorrupt
		}
		i += k
		at[f] = [2]int{i, i + int(n)}
		i += int(n)
	}
	all := string(b[at[0][0]:i])
	for f, s := range []*string{&r.ID, &r.Name, &r.Description, &r.ImageFile, &r.Category} {
		*s = all[at[f][0]-at[0][0] : at[f][1]-at[0][0]]
	}
	b = b[i:]
	var nanos [2]int64
	for _, v := range []*int64{&r.PriceCents, &r.Version, &nanos[0], &nanos[1]} {
		x, k := binary.Varint(b)
		if k <= 0 {
			return errCorrupt
		}
		*v, b = x, b[k:]
	}
	r.CreatedAt, r.UpdatedAt = time.Unix(0, nanos[0]).UTC(), time.Unix(0, nanos[1]).UTC()
	return nil
}
