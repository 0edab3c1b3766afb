package eventrec

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
)

// FuzzRecordCodec holds the stored form of a pending or dead event to its
// promise: a record built from any envelope (any strings, any detail bytes,
// any time at any whole-minute offset, −00:01 included), any attempt
// count, a next attempt that is unset or any UnixNano time, and any last
// error decodes to itself, the detail byte for byte and the time as the
// same instant at the same offset. Decoding arbitrary bytes never panics,
// and what it accepts encodes to bytes that decode to the same record.
func FuzzRecordCodec(f *testing.F) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC)
	seed := Record{Envelope: bus.Envelope{ID: "01935c2e-7d1a-7c3e-9a4b-5d6e7f809123", Source: "com.swn.basket.checkoutbasket",
		DetailType: "CheckoutBasket", Time: now, Detail: []byte(`{"checkoutId":"c1", "total": 1900.80, "html":"<&>"}`),
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceState: "congo=t61rcWkgMzE"},
		Attempts: 3, At: now.Add(time.Second), LastError: "fails on purpose"}
	b := seed.Marshal()
	f.Add(seed.Envelope.ID, seed.Envelope.Source, seed.Envelope.DetailType, now.Unix(), int64(now.Nanosecond()), int16(0),
		[]byte(seed.Envelope.Detail), seed.Attempts, seed.At.UnixNano(), seed.LastError, b)
	f.Add("", "", "", int64(0), int64(0), int16(60), []byte(nil), 0, int64(0), "", []byte{recordVersion})
	f.Add("\x00", "\xff", "\u2028", int64(-62135596800), int64(0), int16(-1439), []byte{0, 0xff}, -1, int64(-1), "\n", []byte{})
	f.Add("a", "b", "c", int64(253402300799), int64(999999999), int16(1439), []byte("null"), 1<<62, int64(1<<63-1), "x",
		[]byte{recordVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	// A record whose time is not a time, and one cut short after its detail.
	f.Add("", "", "", int64(0), int64(0), int16(0), []byte(nil), 0, int64(0), "", []byte{recordVersion, 0, 0, 0, 1, 9, 0})
	f.Add("", "", "", int64(0), int64(0), int16(0), []byte(nil), 0, int64(0), "", b[:len(b)-len(seed.LastError)-1])
	f.Fuzz(func(t *testing.T, id, source, detailType string, sec, nsec int64, offsetMin int16, detail []byte,
		attempts int, at int64, lastError string, raw []byte) {
		when := time.Unix(sec, nsec).UTC()
		if offsetMin %= 24 * 60; offsetMin != 0 {
			when = when.In(time.FixedZone("", int(offsetMin)*60))
		}
		in := Record{Envelope: bus.Envelope{ID: id, Source: source, DetailType: detailType, Time: when, Detail: detail},
			Attempts: attempts, LastError: lastError}
		if at != 0 {
			in.At = time.Unix(0, at).UTC()
		}
		b := in.Marshal()
		out, err := Unmarshal(b)
		if err != nil || !sameRecord(out, in) {
			t.Fatalf("%+v encodes to %x, which decodes to %+v, %v", in, b, out, err)
		}

		got, err := Unmarshal(raw)
		if err != nil {
			return
		}
		b = got.Marshal()
		if again, err := Unmarshal(b); err != nil || !sameRecord(again, got) {
			t.Fatalf("%x decodes to %+v, which encodes to %x, which decodes to %+v, %v", raw, got, b, again, err)
		}
	})
}

// sameRecord reports whether a and b hold the same event: the same detail
// bytes, the same instant at the same offset, and every other field equal.
func sameRecord(a, b Record) bool {
	_, aOff := a.Envelope.Time.Zone()
	_, bOff := b.Envelope.Time.Zone()
	if !bytes.Equal(a.Envelope.Detail, b.Envelope.Detail) || !a.Envelope.Time.Equal(b.Envelope.Time) || aOff != bOff {
		return false
	}
	a.Envelope.Detail, b.Envelope.Detail = nil, nil
	a.Envelope.Time, b.Envelope.Time = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// TestRecordTimeOffsets: the event time keeps its instant and offset for
// offsets time.Time.MarshalBinary cannot carry (−00:01, whole seconds),
// and records written in the first layout still read.
func TestRecordTimeOffsets(t *testing.T) {
	base := time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC)
	for _, c := range []struct {
		name string
		when time.Time
	}{
		{"UTC", base},
		{"MinusOneMinute", base.In(time.FixedZone("", -60))},
		{"PlusOneMinute", base.In(time.FixedZone("", 60))},
		{"SecondsOffset", base.In(time.FixedZone("LMT", -17762))},
		{"ZeroOffsetNotUTC", base.In(time.FixedZone("", 0))},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := Record{Envelope: bus.Envelope{ID: "e1", Source: "s", DetailType: "d", Time: c.when, Detail: []byte(`{}`)}}
			got, err := Unmarshal(in.Marshal())
			if err != nil || !sameRecord(got, in) {
				t.Fatalf("got %+v, %v; want %+v", got, err, in)
			}
		})
	}
	t.Run("FirstLayout", func(t *testing.T) {
		in := Record{Envelope: bus.Envelope{ID: "e1", Source: "s", DetailType: "d", Time: base.In(time.FixedZone("", 3600)), Detail: []byte(`{}`)}}
		// Written as version 1 did: the same fields, the time as MarshalBinary.
		ts, _ := in.Envelope.Time.MarshalBinary()
		v1 := []byte{recordVersionV1}
		for _, f := range [][]byte{[]byte("e1"), []byte("s"), []byte("d"), ts, []byte(`{}`)} {
			v1 = append(v1, byte(len(f)))
			v1 = append(v1, f...)
		}
		v1 = append(v1, 0, 0, 0) // no attempts, no next time, no last error, and no trace context
		got, err := Unmarshal(v1)
		if err != nil || !sameRecord(got, in) {
			t.Fatalf("version 1 record %x: got %+v, %v; want %+v", v1, got, err, in)
		}
	})
}
