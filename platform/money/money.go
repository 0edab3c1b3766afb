// Package money holds exact amounts of money. Amounts are integer cents, never
// floats, and travel in JSON as decimal numbers with two places (12.50).
//
// It also holds the one set of bounds on money that every module keeps: the
// producer of an amount validates against them and every consumer decodes
// with them, so whatever one module accepts, the next one can read.
package money

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Amount is an exact amount in cents.
type Amount int64

// ErrFormat reports a number that is not an amount with at most two decimals.
var ErrFormat = errors.New("must be a number with at most two decimals")

// ErrRange reports an amount beyond MaxTotal, the largest this package holds.
var ErrRange = errors.New("is out of range")

// The bounds on money. A basket holds at most MaxLines lines of at most
// MaxQuantity pieces at most MaxUnitPrice each, so its total is at most
// MaxTotal, and MaxTotal is the largest amount Parse, Times and Plus accept:
// every total a producer can form is one every consumer decodes. The
// decoders once accepted up to a trillion while prices alone could reach it,
// so two such products made a total the ordering module could not read.
//
// MaxTotal in cents (1e14) stays below 2^53, so it is exact even as a JSON
// number read into a float64 (JavaScript, JSON Schema validators).
// Raising a bound is a consumer-first change: deploy the consumers' new
// limit before any producer may emit beyond the old one.
const (
	// MaxUnitPrice is the largest price of one piece: 10,000,000.00.
	MaxUnitPrice Amount = 10_000_000_00
	// MaxQuantity is the largest quantity of one line.
	MaxQuantity = 1000
	// MaxLines is the largest number of lines of a basket, checkout or order.
	MaxLines = 100
	// MaxTotal is the largest amount of all: 1,000,000,000,000.00.
	MaxTotal = MaxUnitPrice * MaxQuantity * MaxLines
)

// Parse reads a decimal such as "12", "12.5" or "12.50". Exponents and more
// than two decimals are ErrFormat; an amount beyond ±MaxTotal is ErrRange.
func Parse(s string) (Amount, error) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	units, frac, hasDot := strings.Cut(s, ".")
	if units == "" || len(frac) > 2 || (hasDot && frac == "") || !digits(units) || !digits(frac) {
		return 0, ErrFormat
	}
	// Leading zeros aside, more digits than MaxTotal's units cannot fit;
	// the cut keeps ParseInt far from overflowing.
	units = strings.TrimLeft(units, "0")
	if len(units) > 13 {
		return 0, ErrRange
	}
	u, _ := strconv.ParseInt("0"+units, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	a := Amount(u*100 + c)
	if a > MaxTotal {
		return 0, ErrRange
	}
	if neg {
		a = -a
	}
	return a, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats the amount with two decimals, e.g. "950.40".
func (a Amount) String() string {
	return string(a.AppendText(nil))
}

// AppendText appends the two-decimal form of a to b.
func (a Amount) AppendText(b []byte) []byte {
	n := int64(a)
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/100, 10)
	c := n % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// MarshalJSON writes the amount as a JSON number with two decimals.
func (a Amount) MarshalJSON() ([]byte, error) { return a.AppendText(nil), nil }

// UnmarshalJSON reads a JSON number (or a string holding one) exactly.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// InRange reports whether a is within ±MaxTotal, the amounts Parse reads.
func (a Amount) InRange() bool { return a >= -MaxTotal && a <= MaxTotal }

// Times returns a × n, or ErrRange if a or the product is beyond ±MaxTotal.
func (a Amount) Times(n int64) (Amount, error) {
	if !a.InRange() {
		return 0, ErrRange
	}
	if a != 0 && n != 0 {
		// |a| ≤ MaxTotal < 2^47, so |n| ≤ MaxTotal/|a| is checked before
		// multiplying, which then cannot overflow.
		abs, m := int64(a), n
		if abs < 0 {
			abs = -abs
		}
		if m < 0 {
			if m == math.MinInt64 {
				return 0, ErrRange
			}
			m = -m
		}
		if m > int64(MaxTotal)/abs {
			return 0, ErrRange
		}
	}
	return Amount(int64(a) * n), nil
}

// Plus returns a + b, or ErrRange if a, b or the sum is beyond ±MaxTotal.
func (a Amount) Plus(b Amount) (Amount, error) {
	// Both within ±MaxTotal, the sum cannot overflow int64.
	if !a.InRange() || !b.InRange() || !(a + b).InRange() {
		return 0, ErrRange
	}
	return a + b, nil
}
