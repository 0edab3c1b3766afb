package bolt_test

import (
	"testing"

	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	"github.com/serverless-shop/shop/basket/storetest"
	"github.com/serverless-shop/shop/platform/outbox"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		s, err := basketbolt.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return storetest.Backend{Store: s, Outbox: outbox.NewBoltStore(s.DB())}
	})
}
