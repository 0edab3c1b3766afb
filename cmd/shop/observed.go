package main

import (
	"context"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/ordering"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
)

// The observed stores, one per module (see storeObserver). The constants
// index each observer's operations; their names are the metric's operation
// label and the span's name.

const (
	productCreate = iota
	productGet
	productList
	productUpdate
	productDelete
)

type observedProducts struct {
	product.Store
	o *storeObserver
}

var _ product.Store = (*observedProducts)(nil)

// observeProducts observes the catalog's store on system.
func (m *Main) observeProducts(s product.Store, system string) product.Store {
	o := newStoreObserver(m.metrics, m.tracing, system, "product", "create", "get", "list", "update", "delete")
	if o == nil {
		return s
	}
	return &observedProducts{Store: s, o: o}
}

func (s *observedProducts) Create(ctx context.Context, p *product.Product, events []bus.Envelope) (err error) {
	s.o.stamp(ctx, events)
	ctx, op := s.o.start(ctx, productCreate)
	defer op.end(&err)
	return s.Store.Create(ctx, p, events)
}

func (s *observedProducts) Get(ctx context.Context, id string) (_ *product.Product, err error) {
	ctx, op := s.o.start(ctx, productGet)
	defer op.end(&err)
	return s.Store.Get(ctx, id)
}

func (s *observedProducts) List(ctx context.Context, f product.Filter, r page.Request) (_ page.Page[*product.Product], err error) {
	ctx, op := s.o.start(ctx, productList)
	defer op.end(&err)
	return s.Store.List(ctx, f, r)
}

func (s *observedProducts) Update(ctx context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) (_ *product.Product, err error) {
	fn = stamped(s.o, ctx, fn)
	ctx, op := s.o.start(ctx, productUpdate)
	defer op.end(&err)
	return s.Store.Update(ctx, id, fn)
}

func (s *observedProducts) Delete(ctx context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) (err error) {
	fn = stamped(s.o, ctx, fn)
	ctx, op := s.o.start(ctx, productDelete)
	defer op.end(&err)
	return s.Store.Delete(ctx, id, fn)
}

// stamped returns fn stamping the events it returns with ctx's trace
// context, or fn itself when tracing is off.
func stamped(o *storeObserver, ctx context.Context, fn func(*product.Product) ([]bus.Envelope, error)) func(*product.Product) ([]bus.Envelope, error) {
	if o.tracing == nil {
		return fn
	}
	return func(p *product.Product) ([]bus.Envelope, error) {
		events, err := fn(p)
		o.stamp(ctx, events)
		return events, err
	}
}

const (
	basketPutProduct = iota
	basketProducts
	basketPut
	basketGet
	basketList
	basketDelete
	basketCheckOut
	basketKeyedReceipt
)

type observedBaskets struct {
	basket.Store
	o *storeObserver
}

var _ basket.Store = (*observedBaskets)(nil)

// observeBaskets observes the basket's store on system.
func (m *Main) observeBaskets(s basket.Store, system string) basket.Store {
	o := newStoreObserver(m.metrics, m.tracing, system, "basket",
		"put_product", "products", "put", "get", "list", "delete", "check_out", "keyed_receipt")
	if o == nil {
		return s
	}
	return &observedBaskets{Store: s, o: o}
}

func (s *observedBaskets) PutProduct(ctx context.Context, p *basket.Product) (_ bool, err error) {
	ctx, op := s.o.start(ctx, basketPutProduct)
	defer op.end(&err)
	return s.Store.PutProduct(ctx, p)
}

func (s *observedBaskets) Products(ctx context.Context, ids []string) (_ map[string]*basket.Product, err error) {
	ctx, op := s.o.start(ctx, basketProducts)
	defer op.end(&err)
	return s.Store.Products(ctx, ids)
}

func (s *observedBaskets) Put(ctx context.Context, b *basket.Basket) (_ bool, err error) {
	ctx, op := s.o.start(ctx, basketPut)
	defer op.end(&err)
	return s.Store.Put(ctx, b)
}

func (s *observedBaskets) Get(ctx context.Context, userName string) (_ *basket.Basket, err error) {
	ctx, op := s.o.start(ctx, basketGet)
	defer op.end(&err)
	return s.Store.Get(ctx, userName)
}

func (s *observedBaskets) List(ctx context.Context, r page.Request) (_ page.Page[*basket.Basket], err error) {
	ctx, op := s.o.start(ctx, basketList)
	defer op.end(&err)
	return s.Store.List(ctx, r)
}

func (s *observedBaskets) Delete(ctx context.Context, userName string) (err error) {
	ctx, op := s.o.start(ctx, basketDelete)
	defer op.end(&err)
	return s.Store.Delete(ctx, userName)
}

func (s *observedBaskets) CheckOut(ctx context.Context, b *basket.Basket, rec *basket.KeyedReceipt, events []bus.Envelope) (err error) {
	s.o.stamp(ctx, events)
	ctx, op := s.o.start(ctx, basketCheckOut)
	defer op.end(&err)
	return s.Store.CheckOut(ctx, b, rec, events)
}

func (s *observedBaskets) KeyedReceipt(ctx context.Context, userName, key string) (_ *basket.KeyedReceipt, err error) {
	ctx, op := s.o.start(ctx, basketKeyedReceipt)
	defer op.end(&err)
	return s.Store.KeyedReceipt(ctx, userName, key)
}

const (
	orderCreate = iota
	orderGet
	orderListByUser
	orderList
)

type observedOrders struct {
	ordering.Store
	o *storeObserver
}

var _ ordering.Store = (*observedOrders)(nil)

// observeOrders observes the ordering module's store on system.
func (m *Main) observeOrders(s ordering.Store, system string) ordering.Store {
	o := newStoreObserver(m.metrics, m.tracing, system, "ordering", "create", "get", "list_by_user", "list")
	if o == nil {
		return s
	}
	return &observedOrders{Store: s, o: o}
}

func (s *observedOrders) Create(ctx context.Context, o *ordering.Order) (_ bool, err error) {
	ctx, op := s.o.start(ctx, orderCreate)
	defer op.end(&err)
	return s.Store.Create(ctx, o)
}

func (s *observedOrders) Get(ctx context.Context, userName, orderDate string) (_ *ordering.Order, err error) {
	ctx, op := s.o.start(ctx, orderGet)
	defer op.end(&err)
	return s.Store.Get(ctx, userName, orderDate)
}

func (s *observedOrders) ListByUser(ctx context.Context, userName string, r page.Request) (_ page.Page[*ordering.Order], err error) {
	ctx, op := s.o.start(ctx, orderListByUser)
	defer op.end(&err)
	return s.Store.ListByUser(ctx, userName, r)
}

func (s *observedOrders) List(ctx context.Context, r page.Request) (_ page.Page[*ordering.Order], err error) {
	ctx, op := s.o.start(ctx, orderList)
	defer op.end(&err)
	return s.Store.List(ctx, r)
}
