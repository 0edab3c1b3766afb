package text_test

import (
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/text"
)

func TestProblem(t *testing.T) {
	for s, want := range map[string]string{
		"":                     "",
		"IPhone X":             "",
		"Łódź 東京 🙂":            "",
		"a\u00a0b":             "", // no-break space is text
		"a\x00b":               "must not contain control characters",
		"a\x1bb":               "must not contain control characters",
		"a\x07b":               "must not contain control characters",
		"a\rb":                 "must not contain control characters",
		"a\nb":                 "must not contain control characters",
		"a\tb":                 "must not contain control characters",
		"a\x7fb":               "must not contain control characters",
		"a\u0085b":             "must not contain control characters", // C1
		"a\xffb":               "must be valid UTF-8",
		"a\xed\xa0\x80b":       "must be valid UTF-8", // an encoded surrogate
		"\ufffd is a real one": "",
	} {
		if got := text.Problem(s); got != want {
			t.Errorf("Problem(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name  string
		check func(errs.Fields, string, string, int)
		s     string
		want  string
	}{
		{"OptionalEmpty", text.Check, "", ""},
		{"TooLong", text.Check, strings.Repeat("é", 6), "must be at most 5 characters"},
		{"FiveRunes", text.Check, strings.Repeat("é", 5), ""},
		{"NotText", text.Check, "a\x00", "must not contain control characters"},
		{"NameOptional", text.CheckName, "", ""},
		{"NameBlank", text.CheckName, "   ", "must not be blank"},
		{"NameNBSPBlank", text.CheckName, "\u00a0\u2003", "must not be blank"},
		{"NameOK", text.CheckName, " Ada ", ""},
		{"RequiredEmpty", text.CheckRequired, "", "is required"},
		{"RequiredBlank", text.CheckRequired, "   ", "must not be blank"},
		{"RequiredNotText", text.CheckRequired, "a\nb", "must not contain control characters"},
		{"RequiredOK", text.CheckRequired, "a", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := errs.Fields{}
			c.check(bad, "f", c.s, 5)
			if got := bad["f"]; got != c.want || len(bad) > 1 {
				t.Fatalf("got %v, want f: %q", bad, c.want)
			}
		})
	}
}

func TestUserName(t *testing.T) {
	for _, s := range []string{"a", "swn", "ada.lovelace", "x_y-z", "ada@example.com", "a+b", "...", ".a", "a..", strings.Repeat("a", 128)} {
		if !text.ValidUserName(s) {
			t.Errorf("ValidUserName(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", ".", "..", strings.Repeat("a", 129), strings.Repeat("a", 800), "a b", "a/b", "a#b", "a%2Fb", "é", "a\x00", "a\nb", "a:b"} {
		if text.ValidUserName(s) {
			t.Errorf("ValidUserName(%q) = true, want false", s)
		}
	}
	bad := errs.Fields{}
	text.CheckUserName(bad, "userName", "")
	text.CheckUserName(bad, "owner", "..")
	if bad["userName"] != "is required" || bad["owner"] != text.UserNameRule {
		t.Errorf("got %v", bad)
	}
}
