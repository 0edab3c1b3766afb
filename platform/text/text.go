// Package text holds the rules every text the API accepts follows, so that
// the modules apply them alike: valid UTF-8 without control characters,
// names that are not blank, and one rule for user names on every route.
package text

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/serverless-shop/shop/platform/errs"
)

// MaxUserName is the longest user name, in characters (ASCII, so bytes).
const MaxUserName = 128

// UserNameRule says what a user name must be, as validation errors word it.
const UserNameRule = "must be 1 to 128 characters from A-Z a-z 0-9 . _ @ + -, and not . or .."

// Problem returns why s is not acceptable text, "" when it is: it must be
// valid UTF-8 and hold no control character (C0, DEL or C1; tabs and line
// breaks included).
func Problem(s string) string {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return "must be valid UTF-8"
			}
		}
		if unicode.IsControl(r) {
			return "must not contain control characters"
		}
	}
	return ""
}

// Check records in bad why the optional text field name is not acceptable:
// not text (see Problem), or longer than max characters.
func Check(bad errs.Fields, name, s string, max int) {
	if p := Problem(s); p != "" {
		bad.Add(name, p)
		return
	}
	if utf8.RuneCountInString(s) > max {
		bad.Add(name, "must be at most "+strconv.Itoa(max)+" characters")
	}
}

// CheckName is Check for an optional name: given, it must hold more than
// spaces.
func CheckName(bad errs.Fields, name, s string, max int) {
	if s != "" && strings.TrimSpace(s) == "" {
		bad.Add(name, "must not be blank")
		return
	}
	Check(bad, name, s, max)
}

// CheckRequired is CheckName for a name that must be given.
func CheckRequired(bad errs.Fields, name, s string, max int) {
	if s == "" {
		bad.Add(name, "is required")
		return
	}
	CheckName(bad, name, s, max)
}

// ValidUserName reports whether s is a user name: 1 to MaxUserName
// characters from A-Z a-z 0-9 . _ @ + -, and neither "." nor "..", which
// would name a path segment rather than a user in /basket/{userName}.
func ValidUserName(s string) bool {
	if s == "" || len(s) > MaxUserName || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '@' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// CheckUserName records in bad why the field name does not hold a user
// name (see ValidUserName).
func CheckUserName(bad errs.Fields, name, s string) {
	switch {
	case s == "":
		bad.Add(name, "is required")
	case !ValidUserName(s):
		bad.Add(name, UserNameRule)
	}
}
