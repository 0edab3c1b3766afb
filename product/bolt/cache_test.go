package bolt

import (
	"fmt"
	"testing"

	"github.com/serverless-shop/shop/product"
)

func TestCacheIsBounded(t *testing.T) {
	var c cache
	for i := range CacheSize + 10 {
		_, gen := c.lookup("x")
		c.add(gen, &product.Product{ID: fmt.Sprint(i)})
	}
	if got := len(c.m); got != CacheSize {
		t.Fatalf("cache holds %d products, want %d", got, CacheSize)
	}
}

// TestCacheKeepsNothingReadDuringAWrite: a value read before or while a
// write commits is never added, and the product's entry is gone until the
// write is done.
func TestCacheKeepsNothingReadDuringAWrite(t *testing.T) {
	var c cache
	old := &product.Product{ID: "a", Version: 1}
	_, gen := c.lookup("a")
	c.add(gen, old)
	if p, _ := c.lookup("a"); p == nil || p.Version != 1 {
		t.Fatalf("lookup after add: got %+v, want version 1", p)
	}

	_, before := c.lookup("a") // a read whose transaction begins before the write
	done := c.writing("a")
	if p, _ := c.lookup("a"); p != nil {
		t.Fatalf("lookup while writing: got %+v, want a miss", p)
	}
	_, during := c.lookup("a") // and one that begins while it is under way
	c.add(during, old)
	done()
	c.add(before, old)
	if p, _ := c.lookup("a"); p != nil {
		t.Fatalf("lookup after the write: got %+v, want a miss", p)
	}

	_, after := c.lookup("a")
	c.add(after, &product.Product{ID: "a", Version: 2})
	if p, _ := c.lookup("a"); p == nil || p.Version != 2 {
		t.Fatalf("lookup after a read past the write: got %+v, want version 2", p)
	}
}

// TestCacheCopiesOnlyTheCategoryAsked: a listing whose index (read in an
// older transaction) still has a product in a category it has since left
// does not take the cached, moved product.
func TestCacheCopiesOnlyTheCategoryAsked(t *testing.T) {
	var c cache
	_, gen := c.lookup("a")
	c.add(gen, &product.Product{ID: "a", Category: "TV"})
	var p product.Product
	if c.copyTo(&p, []byte("a"), "Phone") {
		t.Fatalf("copyTo for category Phone took %+v", p)
	}
	if !c.copyTo(&p, []byte("a"), "TV") || p.ID != "a" {
		t.Fatalf("copyTo for category TV: got %+v, want product a", p)
	}
}
