package bolt

import (
	"reflect"
	"testing"
	"time"
)

// FuzzRecordCodec holds the stored form of a product to its promise: a
// record built from any strings, any price and version and any time a
// product can carry (UnixNano's range, 1678 to 2262) decodes to itself;
// decoding arbitrary bytes never panics, and what it accepts encodes to
// bytes that decode to the same record.
func FuzzRecordCodec(f *testing.F) {
	ts := time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC).UnixNano()
	r := record{ID: "01935c2e-7d1a-7c3e-9a4b-5d6e7f809123", Name: "IPhone X", Description: "Flagship", ImageFile: "product-1.png",
		Category: "Phone", PriceCents: 95040, Version: 3, CreatedAt: time.Unix(0, ts).UTC(), UpdatedAt: time.Unix(0, ts+1).UTC()}
	f.Add(r.ID, r.Name, r.Description, r.ImageFile, r.Category, r.PriceCents, r.Version, ts, ts+1, r.marshal())
	f.Add("", "", "", "", "", int64(0), int64(0), int64(0), int64(0), []byte{codecV1})
	f.Add("\x00", "\xff\xfe", "\u2028", "<&>", "a\x00b", int64(-1), int64(-1<<63), int64(-1<<63), int64(1<<63-1), []byte{})
	f.Add("x", "y", "z", "w", "v", int64(1<<63-1), int64(1), int64(-1), int64(1), []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	// A length beyond the record, a truncated varint, a varint of ten
	// continuation bytes.
	f.Add("", "", "", "", "", int64(0), int64(0), int64(0), int64(0), []byte{codecV1, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a'})
	f.Add("", "", "", "", "", int64(0), int64(0), int64(0), int64(0), []byte{codecV1, 0, 0, 0, 0, 0, 0x80})
	f.Add("", "", "", "", "", int64(0), int64(0), int64(0), int64(0),
		[]byte{codecV1, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0})
	f.Fuzz(func(t *testing.T, id, name, desc, image, category string, price, version, created, updated int64, raw []byte) {
		in := record{ID: id, Name: name, Description: desc, ImageFile: image, Category: category, PriceCents: price,
			Version: version, CreatedAt: time.Unix(0, created).UTC(), UpdatedAt: time.Unix(0, updated).UTC()}
		var out record
		if err := out.unmarshal(in.marshal()); err != nil || !reflect.DeepEqual(out, in) {
			t.Fatalf("%+v encodes to %x, which decodes to %+v, %v", in, in.marshal(), out, err)
		}

		var got record
		if err := got.unmarshal(raw); err != nil {
			return
		}
		var again record
		if err := again.unmarshal(got.marshal()); err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("%x decodes to %+v, which encodes to %x, which decodes to %+v, %v", raw, got, got.marshal(), again, err)
		}
	})
}
