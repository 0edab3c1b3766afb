package main_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/serverless-shop/shop/internal/shoptest"
)

// bin is the real shop binary, built once for every end-to-end test.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shop-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = shoptest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
