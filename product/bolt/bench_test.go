package bolt_test

import (
	"context"
	"testing"

	"github.com/serverless-shop/shop/product/bolt"
	"github.com/serverless-shop/shop/product/storetest"
)

func openBench(b *testing.B) *bolt.Store {
	b.Helper()
	s, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkGet reads one product of a thousand.
func BenchmarkGet(b *testing.B) {
	s := openBench(b)
	var ids []string
	for range 1000 {
		ids = append(ids, storetest.MustCreate(b, s, "p", "Phone", 100).ID)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Get(context.Background(), ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCreateParallel is durable writes from many goroutines, which
// share commits (and fsyncs) through the group commit (boltdb.Batch).
func BenchmarkCreateParallel(b *testing.B) {
	s := openBench(b)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			storetest.MustCreate(b, s, "p", "Phone", 100)
		}
	})
}
