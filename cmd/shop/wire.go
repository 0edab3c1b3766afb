package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/basket"
	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	basketdynamo "github.com/serverless-shop/shop/basket/dynamo"
	baskethttp "github.com/serverless-shop/shop/basket/http"
	"github.com/serverless-shop/shop/ordering"
	orderingbolt "github.com/serverless-shop/shop/ordering/bolt"
	orderingdynamo "github.com/serverless-shop/shop/ordering/dynamo"
	orderinghttp "github.com/serverless-shop/shop/ordering/http"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/localbus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/product"
	productbolt "github.com/serverless-shop/shop/product/bolt"
	productdynamo "github.com/serverless-shop/shop/product/dynamo"
	producthttp "github.com/serverless-shop/shop/product/http"
)

// relayInterval is how often an outbox is swept besides the wake-up that
// follows every commit.
const relayInterval = 2 * time.Second

// lambdaHandlerTimeout bounds one event handler behind the Lambda Web Adapter.
const lambdaHandlerTimeout = 20 * time.Second

// eventBus is what the wiring needs of a bus implementation.
type eventBus interface {
	bus.Publisher
	bus.Subscriber
	Start(ctx context.Context) error
	Close() error
}

// wire builds the modules on the configured backends and mounts their routes.
func (m *Main) wire(ctx, bgCtx context.Context, r chi.Router) error {
	var db dynamo.API
	if m.cfg.Store == "dynamodb" {
		awsCfg, err := m.awsConfig(ctx)
		if err != nil {
			return fmt.Errorf("aws config: %w", err)
		}
		db = dynamodb.NewFromConfig(awsCfg)
		// Every write puts its events in the outbox table: ready means it
		// answers too (in the same round trip as the modules' tables).
		m.checks["outbox"] = func(ctx context.Context) error { return dynamo.Ping(ctx, db, m.cfg.OutboxTable) }
		if m.cfg.CreateTables {
			if err := m.createTables(ctx, db); err != nil {
				return err
			}
		}
	}

	m.phases.mark("aws")
	guard, err := m.openGuard()
	if err != nil {
		return err
	}
	m.phases.mark("auth")
	b, err := m.openBus(ctx)
	if err != nil {
		return err
	}
	m.phases.mark("bus")
	if ab, ok := b.(*awsbus.Bus); ok && !m.cfg.SQSPoll {
		// SQS batches from the Lambda Web Adapter, only where it delivers
		// them. Nothing on the router compresses responses: the adapter must
		// get plain JSON back.
		r.Method(http.MethodPost, m.cfg.LambdaPassThroughPath, exactPath(m.cfg.LambdaPassThroughPath, ab.SQSEventHandler()))
	}

	// Relays publish through pub, with a span per event when tracing is on.
	pub := m.tracedPublisher(b)
	products, err := m.openProducts(db, pub)
	if err != nil {
		return err
	}
	m.phases.mark("product")
	r.Mount("/product", producthttp.NewHandler(products, guard).Routes())

	baskets, err := m.openBaskets(db, pub)
	if err != nil {
		return err
	}
	if err := b.Subscribe("basket", basket.ProductEventTypes, m.tracedHandler("basket", baskets.HandleProductEvent)); err != nil {
		return err
	}
	m.phases.mark("basket")
	r.Mount("/basket", baskethttp.NewHandler(baskets, guard).Routes())

	orders, err := m.openOrdering(db)
	if err != nil {
		return err
	}
	if err := b.Subscribe("ordering", []string{m.cfg.CheckoutDetailType}, m.tracedHandler("ordering", orders.HandleCheckout)); err != nil {
		return err
	}
	m.metrics.subscriptions("basket", "ordering")
	m.phases.mark("ordering")
	r.Mount("/order", orderinghttp.NewHandler(orders, guard).Routes())

	if err := b.Start(bgCtx); err != nil {
		return fmt.Errorf("start bus: %w", err)
	}
	for _, rl := range m.relays {
		m.goBackground(bgCtx, rl.Run)
	}
	m.phases.mark("start")
	lb, _ := b.(*localbus.Bus)
	return m.startAdmin(lb)
}

// exactPath serves only requests for exactly path, as sent: the router
// cleans paths before matching (so //events, /./events, /x/../events and
// /events/ all route here), and no such variant may reach h.
func exactPath(path string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.EscapedPath() != path {
			httpx.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (m *Main) openBus(ctx context.Context) (eventBus, error) {
	if m.cfg.Bus == "aws" {
		awsCfg, err := m.awsConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("aws config: %w", err)
		}
		queues := map[string]string{}
		if m.cfg.OrderQueueURL != "" {
			queues["ordering"] = m.cfg.OrderQueueURL
		}
		if m.cfg.BasketQueueURL != "" {
			queues["basket"] = m.cfg.BasketQueueURL
		}
		opts := awsbus.Options{EventBusName: m.cfg.EventBusName, Queues: queues, Poll: m.cfg.SQSPoll, Log: m.log,
			Observer: m.metrics.busObserver(), MaxReceiveCount: sqsMaxReceiveCount}
		if !m.cfg.SQSPoll {
			// On Lambda a handler must give up before the invocation's own
			// timeout (30 s in deploy/), or healthy records of the batch are
			// retried with the slow one.
			opts.HandlerTimeout = lambdaHandlerTimeout
		}
		b, err := awsbus.New(awsCfg, opts)
		if err != nil {
			return nil, fmt.Errorf("aws bus: %w", err)
		}
		m.bus = b
		return b, nil
	}
	if err := os.MkdirAll(m.cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create SHOP_DATA_DIR: %w", err)
	}
	b, err := localbus.Open(filepath.Join(m.cfg.DataDir, "bus.db"), localbus.WithLogger(m.log),
		localbus.WithObserver(m.metrics.busObserver()))
	if err != nil {
		return nil, fmt.Errorf("open bus: %w", err)
	}
	m.bus = b
	return b, nil
}

// relay makes the relay of a module's outbox and returns the function its
// service calls after each commit. Relays start only once every subscription
// is registered and the bus runs: an event published before its subscriber
// exists would be dropped, like one sent to an EventBridge bus without a rule.
func (m *Main) relay(name string, store outbox.Store, pub bus.Publisher) func() {
	rl := outbox.NewRelay(store, pub, relayInterval, m.log.With().Str("outbox", name).Logger(), outbox.WithName(name))
	m.relays = append(m.relays, rl)
	m.metrics.addOutbox(name, store)
	return rl.Notify
}

func (m *Main) openProducts(db dynamo.API, pub bus.Publisher) (*product.Service, error) {
	var (
		store product.Store
		ob    outbox.Store
	)
	if db != nil {
		dob := outbox.NewDynamoStore(db, m.cfg.OutboxTable, "product")
		store, ob = productdynamo.New(db, m.cfg.ProductTable, dob), dob
	} else {
		s, err := productbolt.Open(m.cfg.DataDir)
		if err != nil {
			return nil, err
		}
		m.closers = append(m.closers, s.Close)
		store, ob = s, outbox.NewBoltStore(s.DB())
	}
	m.checks["product"] = store.Ping
	return product.NewService(m.observeProducts(store, storeSystem(db)), m.cfg.ProductSource, m.relay("product", ob, pub)), nil
}

func (m *Main) openBaskets(db dynamo.API, pub bus.Publisher) (*basket.Service, error) {
	var (
		store basket.Store
		ob    outbox.Store
	)
	if db != nil {
		dob := outbox.NewDynamoStore(db, m.cfg.OutboxTable, "basket")
		store, ob = basketdynamo.New(db, m.cfg.BasketTable, m.cfg.BasketCatalogTable, dob), dob
	} else {
		s, err := basketbolt.Open(m.cfg.DataDir)
		if err != nil {
			return nil, err
		}
		m.closers = append(m.closers, s.Close)
		store, ob = s, outbox.NewBoltStore(s.DB())
	}
	m.checks["basket"] = store.Ping
	return basket.NewService(m.observeBaskets(store, storeSystem(db)), m.cfg.CheckoutSource, m.cfg.CheckoutDetailType, m.relay("basket", ob, pub)), nil
}

func (m *Main) openOrdering(db dynamo.API) (*ordering.Service, error) {
	var store ordering.Store
	if db != nil {
		store = orderingdynamo.New(db, m.cfg.OrderTable)
	} else {
		s, err := orderingbolt.Open(m.cfg.DataDir)
		if err != nil {
			return nil, err
		}
		m.closers = append(m.closers, s.Close)
		store = s
	}
	m.checks["ordering"] = store.Ping
	return ordering.NewService(m.observeOrders(store, storeSystem(db))), nil
}

func (m *Main) createTables(ctx context.Context, db dynamo.API) error {
	for _, in := range append([]*dynamodb.CreateTableInput{
		productdynamo.TableInput(m.cfg.ProductTable),
		outbox.TableInput(m.cfg.OutboxTable),
		orderingdynamo.TableInput(m.cfg.OrderTable),
	}, basketdynamo.TableInputs(m.cfg.BasketTable, m.cfg.BasketCatalogTable)...) {
		if err := dynamo.EnsureTable(ctx, db, in); err != nil {
			return err
		}
	}
	return nil
}
