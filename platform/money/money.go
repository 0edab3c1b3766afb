// Package money holds exact amounts of money. Amounts are integer cents, never
// floats, and travel in JSON as decimal numbers with two places (12.50).
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

// ErrRange reports an amount too large to hold.
var ErrRange = errors.New("is out of range")

// maxUnits keeps cents × quantity far from overflowing int64.
const maxUnits = 1_000_000_000_000 // one trillion

// Parse reads a decimal such as "12", "12.5" or "12.50". Exponents, more than
// two decimals and values beyond a trillion units are rejected.
func Parse(s string) (Amount, error) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	units, frac, hasDot := strings.Cut(s, ".")
	if units == "" || len(frac) > 2 || (hasDot && frac == "") || !digits(units) || !digits(frac) {
		return 0, ErrFormat
	}
	if len(units) > 13 {
		return 0, ErrRange
	}
	u, _ := strconv.ParseInt(units, 10, 64)
	if u > maxUnits {
		return 0, ErrRange
	}
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	a := Amount(u*100 + c)
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

// Times returns a × n, or ErrRange if the product does not fit.
func (a Amount) Times(n int64) (Amount, error) {
	if n != 0 && (int64(a) > math.MaxInt64/n || int64(a) < math.MinInt64/n) {
		return 0, ErrRange
	}
	return Amount(int64(a) * n), nil
}
