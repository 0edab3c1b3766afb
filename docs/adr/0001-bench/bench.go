//go:build ignore

// Command bench is the measurement behind ADR 0001: publish → handler on
// this machine, the shop's local bus and outbox relay against watermill's
// bbolt pub/sub and its forwarder. It is built in a throwaway module (see
// the ADR for the commands), never in the shop's, which does not depend on
// watermill.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-bolt/pkg/bolt"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"
	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/localbus"
	"github.com/serverless-shop/shop/platform/outbox"
)

// pipeline takes an event in at one end and tells of it at the other.
type pipeline struct {
	publish   func(id string) error
	delivered chan string
	close     func()
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func openDB(dir, name string) *bbolt.DB {
	db, err := bbolt.Open(filepath.Join(dir, name), 0o600, &bbolt.Options{Timeout: time.Second})
	must(err)
	return db
}

func envelope(id string) bus.Envelope {
	return bus.Envelope{ID: id, Source: "bench", DetailType: "T", Time: time.Now().UTC(), Detail: []byte(`{"n":1}`)}
}

// openShopBus is a local bus whose one subscriber tells of each event.
func openShopBus(dir string) (*localbus.Bus, chan string) {
	b, err := localbus.Open(filepath.Join(dir, "bus.db"))
	must(err)
	delivered := make(chan string, 100000)
	must(b.Subscribe("sub", []string{"T"}, func(_ context.Context, e bus.Envelope) error { delivered <- e.ID; return nil }))
	must(b.Start(context.Background()))
	return b, delivered
}

// shopBus: Publish on the local bus, a subscriber's handler.
func shopBus(dir string) pipeline {
	b, delivered := openShopBus(dir)
	return pipeline{
		publish:   func(id string) error { return b.Publish(context.Background(), envelope(id)) },
		delivered: delivered,
		close:     func() { b.Close() },
	}
}

// shopOutbox: the event committed to a module's outbox in a bbolt
// transaction, Notify, the relay, the local bus, the handler.
func shopOutbox(dir string) pipeline {
	b, delivered := openShopBus(dir)
	db := openDB(dir, "module.db")
	relay := outbox.NewRelay(outbox.NewBoltStore(db), b, 2*time.Second, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { relay.Run(ctx); close(done) }()
	return pipeline{
		publish: func(id string) error {
			if err := db.Update(func(tx *bbolt.Tx) error { return outbox.PutBolt(tx, envelope(id)) }); err != nil {
				return err
			}
			relay.Notify()
			return nil
		},
		delivered: delivered,
		close:     func() { cancel(); <-done; b.Close(); db.Close() },
	}
}

// wmConsume acks every message of topic on sub and tells of it.
func wmConsume(sub message.Subscriber, topic string, out chan<- string) {
	msgs, err := sub.Subscribe(context.Background(), topic)
	must(err)
	go func() {
		for m := range msgs {
			out <- m.UUID
			m.Ack()
		}
	}()
}

func wmConfig() bolt.CommonConfig {
	return bolt.CommonConfig{Bucket: []bolt.BucketName{bolt.BucketName("watermill")}, Logger: watermill.NopLogger{}}
}

// wmBolt: watermill's bbolt publisher and subscriber.
func wmBolt(dir string) pipeline {
	db := openDB(dir, "wm-bus.db")
	pub, err := bolt.NewPublisher(db, bolt.PublisherConfig{Common: wmConfig()})
	must(err)
	sub, err := bolt.NewSubscriber(db, bolt.SubscriberConfig{Common: wmConfig()})
	must(err)
	must(sub.SubscribeInitialize("T"))
	p := pipeline{delivered: make(chan string, 100000)}
	wmConsume(sub, "T", p.delivered)
	p.publish = func(id string) error { return pub.Publish("T", message.NewMessage(id, []byte(`{"n":1}`))) }
	p.close = func() { sub.Close(); db.Close() }
	return p
}

// wmForwarder: the message published inside a module's bbolt transaction
// (TxPublisher) through forwarder.Publisher, the forwarder moving it to
// the bus's bbolt topic, a subscriber there.
func wmForwarder(dir string) pipeline {
	moduleDB, busDB := openDB(dir, "wm-module.db"), openDB(dir, "wm-bus.db")
	busPub, err := bolt.NewPublisher(busDB, bolt.PublisherConfig{Common: wmConfig()})
	must(err)
	busSub, err := bolt.NewSubscriber(busDB, bolt.SubscriberConfig{Common: wmConfig()})
	must(err)
	must(busSub.SubscribeInitialize("T"))
	outboxSub, err := bolt.NewSubscriber(moduleDB, bolt.SubscriberConfig{Common: wmConfig()})
	must(err)
	must(outboxSub.SubscribeInitialize("forwarder_topic"))
	fwd, err := forwarder.NewForwarder(outboxSub, busPub, watermill.NopLogger{}, forwarder.Config{})
	must(err)
	go fwd.Run(context.Background())
	<-fwd.Running()
	p := pipeline{delivered: make(chan string, 100000)}
	wmConsume(busSub, "T", p.delivered)
	p.publish = func(id string) error {
		return moduleDB.Update(func(tx *bbolt.Tx) error {
			txPub, err := bolt.NewTxPublisher(tx, bolt.PublisherConfig{Common: wmConfig()})
			if err != nil {
				return err
			}
			return forwarder.NewPublisher(txPub, forwarder.PublisherConfig{}).Publish("T", message.NewMessage(id, []byte(`{"n":1}`)))
		})
	}
	p.close = func() { fwd.Close(); busSub.Close(); outboxSub.Close(); moduleDB.Close(); busDB.Close() }
	return p
}

// latency publishes n events one at a time, each after the previous one
// arrived, and returns the publish → handler latencies.
func latency(p pipeline, n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	for i := range n {
		id := fmt.Sprintf("lat-%06d", i)
		start := time.Now()
		must(p.publish(id))
		for got := range p.delivered {
			if got == id {
				break
			}
		}
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out
}

// burst publishes n events from 16 goroutines and returns the time until
// the last one arrived.
func burst(p pipeline, n int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				must(p.publish(fmt.Sprintf("burst-%06d", i)))
			}
		})
	}
	seen := map[string]bool{}
	for len(seen) < n {
		seen[<-p.delivered] = true
	}
	wg.Wait()
	return time.Since(start)
}

func main() {
	n := flag.Int("n", 50, "events in the latency run")
	b := flag.Int("burst", 2000, "events in the burst run")
	flag.Parse()
	for _, c := range []struct {
		name string
		open func(dir string) pipeline
	}{
		{"shop local bus", shopBus},
		{"watermill bbolt pub/sub", wmBolt},
		{"shop outbox relay + local bus", shopOutbox},
		{"watermill forwarder (bbolt outbox) + bbolt pub/sub", wmForwarder},
	} {
		dir, err := os.MkdirTemp("", "bench")
		must(err)
		p := c.open(dir)
		lat := latency(p, *n)
		total := burst(p, *b)
		p.close()
		os.RemoveAll(dir)
		fmt.Printf("%-52s latency p50 %8v  p99 %8v  max %8v | %d events in %v (%.0f/s)\n", c.name,
			lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond),
			*b, total.Round(time.Millisecond), float64(*b)/total.Seconds())
	}
}
