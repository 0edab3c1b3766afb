package localbus

import "github.com/serverless-shop/shop/platform/bus/eventrec"

// record is one stored event for one subscription: pending (At is the next
// attempt time) or dead (At is when it was dead-lettered).
type record = eventrec.Record
