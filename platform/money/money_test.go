package money_test

import (
	"encoding/json"
	"errors"
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
	if _, err := money.Amount(1 << 62).Times(4); !errors.Is(err, money.ErrRange) {
		t.Errorf("overflow: got %v, want ErrRange", err)
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
