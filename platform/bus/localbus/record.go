package localbus

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
)

// recordVersion prefixes every stored record so the layout can evolve
// without guessing.
const recordVersion = 1

// record is one stored event for one subscription: pending (At is the next
// attempt time) or dead (At is when it was dead-lettered).
//
// It is stored in a small binary layout rather than JSON because
// encoding/json compacts and HTML-escapes a RawMessage, and the bus promises
// that Detail arrives byte for byte as it was published.
type record struct {
	Envelope  bus.Envelope
	Attempts  int
	At        time.Time
	LastError string
}

var errCorrupt = errors.New("localbus: corrupt record")

func (r record) marshal() ([]byte, error) {
	e := r.Envelope
	ts, err := e.Time.MarshalBinary()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 40+len(e.TraceParent)+len(e.TraceState)+len(e.ID)+len(e.Source)+len(e.DetailType)+len(ts)+len(e.Detail)+len(r.LastError))
	buf = append(buf, recordVersion)
	for _, s := range [][]byte{[]byte(e.ID), []byte(e.Source), []byte(e.DetailType), ts, e.Detail} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	buf = binary.AppendUvarint(buf, uint64(r.Attempts))
	var at int64
	if !r.At.IsZero() {
		at = r.At.UnixNano()
	}
	buf = binary.AppendVarint(buf, at)
	// The trace context follows the last error: records written before it
	// existed end there and read back without one.
	for _, s := range []string{r.LastError, e.TraceParent, e.TraceState} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	return buf, nil
}

func unmarshalRecord(b []byte) (record, error) {
	if len(b) == 0 || b[0] != recordVersion {
		return record{}, errCorrupt
	}
	b = b[1:]
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, false
		}
		f := b[k : k+int(n)]
		b = b[k+int(n):]
		return f, true
	}
	var fs [5][]byte
	for i := range fs {
		f, ok := field()
		if !ok {
			return record{}, errCorrupt
		}
		fs[i] = f
	}
	var r record
	r.Envelope.ID, r.Envelope.Source, r.Envelope.DetailType = string(fs[0]), string(fs[1]), string(fs[2])
	if err := r.Envelope.Time.UnmarshalBinary(fs[3]); err != nil {
		return record{}, errCorrupt
	}
	// Copy: bbolt memory is only valid inside the transaction.
	r.Envelope.Detail = append([]byte(nil), fs[4]...)
	attempts, k := binary.Uvarint(b)
	if k <= 0 {
		return record{}, errCorrupt
	}
	b = b[k:]
	r.Attempts = int(attempts)
	at, k := binary.Varint(b)
	if k <= 0 {
		return record{}, errCorrupt
	}
	b = b[k:]
	if at != 0 {
		r.At = time.Unix(0, at).UTC()
	}
	lastErr, ok := field()
	if !ok {
		return record{}, errCorrupt
	}
	r.LastError = string(lastErr)
	if len(b) == 0 {
		return r, nil
	}
	parent, ok := field()
	if !ok {
		return record{}, errCorrupt
	}
	state, ok := field()
	if !ok {
		return record{}, errCorrupt
	}
	r.Envelope.TraceParent, r.Envelope.TraceState = string(parent), string(state)
	return r, nil
}
