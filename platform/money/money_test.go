package money_test

import (
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	"github.com/serverless-shop/shop/platform/money"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want money.Amount
		err  error
	}{
		{"0", 0, nil},
		{"12", 1200, nil},
		{"12.5", 1250, nil},
		{"950.40", 95040, nil},
		{"0.01", 1, nil},
		{"-3.10", -310, nil},
		{"1.234", 0, money.ErrFormat},
		{"1e3", 0, money.ErrFormat},
		{"1.", 0, money.ErrFormat},
		{".5", 0, money.ErrFormat},
		{"", 0, money.ErrFormat},
		{`"1"`, 0, money.ErrFormat},
		{"99999999999999", 0, money.ErrRange},
		{"1000000000000.00", money.MaxTotal, nil},
		{"1000000000000.01", 0, money.ErrRange},
		{"-1000000000000.01", 0, money.ErrRange},
		{"00000000000000001.50", 150, nil},
		{"1200000000000.00", 0, money.ErrRange},
	} {
		got, err := money.Parse(c.in)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, a := range []money.Amount{0, 1, 10, 95040, -310} {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var got money.Amount
		if err := json.Unmarshal(b, &got); err != nil || got != a {
			t.Errorf("round trip of %d via %s = %d, %v", a, b, got, err)
		}
	}
	if b, _ := json.Marshal(money.Amount(95040)); string(b) != "950.40" {
		t.Errorf("got %s, want 950.40", b)
	}
}

func TestTimes(t *testing.T) {
	if got, err := money.Amount(95040).Times(3); err != nil || got != 285120 {
		t.Errorf("got %d, %v; want 285120", got, err)
	}
	for _, c := range []struct {
		a money.Amount
		n int64
	}{{1 << 62, 4}, {money.MaxTotal, 2}, {1, -1 << 63}, {money.MaxUnitPrice + 1, money.MaxQuantity * money.MaxLines}, {-3, 1 << 62}} {
		if _, err := c.a.Times(c.n); !errors.Is(err, money.ErrRange) {
			t.Errorf("%d × %d: got %v, want ErrRange", c.a, c.n, err)
		}
	}
	if got, err := money.Amount(-2).Times(-3); err != nil || got != 6 {
		t.Errorf("-2 × -3: got %d, %v; want 6", got, err)
	}
}

// FuzzArithmetic: Times and Plus either answer the exact result, within
// ±MaxTotal, or ErrRange; never a wrapped-around int64.
func FuzzArithmetic(f *testing.F) {
	f.Add(int64(money.MaxUnitPrice), int64(money.MaxQuantity), int64(money.MaxTotal))
	f.Add(int64(1<<62), int64(4), int64(-1))
	f.Fuzz(func(t *testing.T, a, n, b int64) {
		p, err := money.Amount(a).Times(n)
		exact := new(big.Int).Mul(big.NewInt(a), big.NewInt(n))
		checkExact(t, "Times", money.Amount(a).InRange(), p, err, exact)
		s, err := money.Amount(a).Plus(money.Amount(b))
		exact = new(big.Int).Add(big.NewInt(a), big.NewInt(b))
		checkExact(t, "Plus", money.Amount(a).InRange() && money.Amount(b).InRange(), s, err, exact)
	})
}

func checkExact(t *testing.T, op string, argsInRange bool, got money.Amount, err error, exact *big.Int) {
	t.Helper()
	max := big.NewInt(int64(money.MaxTotal))
	fits := argsInRange && exact.CmpAbs(max) <= 0
	switch {
	case fits && (err != nil || big.NewInt(int64(got)).Cmp(exact) != 0):
		t.Fatalf("%s: got %d, %v; want %s", op, got, err, exact)
	case !fits && !errors.Is(err, money.ErrRange):
		t.Fatalf("%s: got %d, %v; want ErrRange (exact %s)", op, got, err, exact)
	}
}

// TestBounds: the largest basket the bounds allow has a total every decoder
// reads back, and that total is exact as a float64 (a JSON number).
func TestBounds(t *testing.T) {
	line, err := money.MaxUnitPrice.Times(money.MaxQuantity)
	if err != nil {
		t.Fatalf("MaxUnitPrice × MaxQuantity: %v", err)
	}
	var total money.Amount
	for range money.MaxLines {
		if total, err = total.Plus(line); err != nil {
			t.Fatalf("sum of the largest lines: %v", err)
		}
	}
	if total != money.MaxTotal {
		t.Fatalf("largest basket total = %s, want MaxTotal %s", total, money.MaxTotal)
	}
	var back money.Amount
	b, _ := json.Marshal(total)
	if err := json.Unmarshal(b, &back); err != nil || back != total {
		t.Fatalf("MaxTotal %s decodes to %s, %v", b, back, err)
	}
	if float64(money.MaxTotal) >= 1<<53 {
		t.Fatalf("MaxTotal %d cents is not exact as a float64", money.MaxTotal)
	}
}

func TestPlus(t *testing.T) {
	if got, err := money.Amount(150).Plus(250); err != nil || got != 400 {
		t.Errorf("150 + 250: got %d, %v; want 400", got, err)
	}
	for _, c := range [][2]money.Amount{{money.MaxTotal, 1}, {-money.MaxTotal, -1}, {1 << 62, 1 << 62}, {money.MaxTotal + 1, -2}} {
		if _, err := c[0].Plus(c[1]); !errors.Is(err, money.ErrRange) {
			t.Errorf("%d + %d: got %v, want ErrRange", c[0], c[1], err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "12.5", "950.40", "-1", "1e3", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := money.Parse(s)
		if err != nil {
			return
		}
		back, err := money.Parse(a.String())
		if err != nil || back != a {
			t.Fatalf("%q parsed to %d, whose String %q parses to %d, %v", s, a, a.String(), back, err)
		}
	})
}
