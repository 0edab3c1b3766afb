package page_test

import (
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/page"
)

func TestCheck(t *testing.T) {
	ada := map[string]string{"userName": "ada"}
	for _, tc := range []struct {
		name  string
		c     page.Cursor
		fixed map[string]string
		free  []string
		ok    bool
	}{
		{"NilIsTheStart", nil, ada, []string{"orderDate"}, true},
		{"FreeKey", page.Cursor{"id": "x"}, nil, []string{"id"}, true},
		{"FixedAndFree", page.Cursor{"userName": "ada", "orderDate": "d"}, ada, []string{"orderDate"}, true},
		{"ErrOtherFixedValue", page.Cursor{"userName": "bob", "orderDate": "d"}, ada, []string{"orderDate"}, false},
		{"ErrMissingFixed", page.Cursor{"orderDate": "d", "id": "x"}, ada, []string{"orderDate"}, false},
		{"ErrExtraKey", page.Cursor{"id": "x", "category": "Phone"}, nil, []string{"id"}, false},
		{"ErrMissingFree", page.Cursor{"userName": "ada"}, ada, []string{"orderDate"}, false},
		{"ErrEmptyValue", page.Cursor{"id": ""}, nil, []string{"id"}, false},
		{"ErrNUL", page.Cursor{"id": "a\x00b"}, nil, []string{"id"}, false},
		{"ErrLong", page.Cursor{"id": strings.Repeat("x", page.MaxKeyBytes+1)}, nil, []string{"id"}, false},
		{"LongestKey", page.Cursor{"id": strings.Repeat("x", page.MaxKeyBytes)}, nil, []string{"id"}, true},
		{"ErrEmptyFixedValue", page.Cursor{"category": "", "id": "x"}, map[string]string{"category": ""}, []string{"id"}, false},
		{"ErrEmptyCursor", page.Cursor{}, nil, []string{"id"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := page.Check(tc.c, tc.fixed, tc.free...)
			if tc.ok && err != nil {
				t.Fatalf("Check = %v, want nil", err)
			}
			if !tc.ok {
				e, isErr := err.(*errs.Error)
				if !isErr || e.Code != errs.Invalid || e.Fields["cursor"] == "" {
					t.Fatalf("Check = %v, want an invalid error naming cursor", err)
				}
			}
		})
	}
}
