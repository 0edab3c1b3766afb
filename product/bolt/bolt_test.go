package bolt_test

import (
	"testing"

	"github.com/serverless-shop/shop/product/bolt"
	"github.com/serverless-shop/shop/product/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend { return storetest.MustBolt(t) })
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := storetest.MustCreate(t, s, "A", "Phone", 100)
	s.Close()
	s, err = bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Get(t.Context(), p.ID); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}
