package product

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
)

// Service is the catalog's use cases.
type Service struct {
	store  Store
	source string
	// committed is called after a write that stored events, to wake the relay.
	committed func()
	now       func() time.Time
}

// NewService returns a catalog service over store. Events carry source;
// committed runs after every write that stored events (it may be nil).
func NewService(store Store, source string, committed func()) *Service {
	if committed == nil {
		committed = func() {}
	}
	return &Service{store: store, source: source, committed: committed, now: func() time.Time { return time.Now().UTC() }}
}

// Patch holds the fields of an update; nil fields are kept.
type Patch struct {
	Name        *string
	Description *string
	ImageFile   *string
	Price       *money.Amount
	Category    *string
	// IfVersion, when set, makes the update conditional on the stored version.
	IfVersion *int64
}

// Apply sets the fields present in pt on p.
func (pt Patch) Apply(p *Product) {
	set(&p.Name, pt.Name)
	set(&p.Description, pt.Description)
	set(&p.ImageFile, pt.ImageFile)
	set(&p.Price, pt.Price)
	set(&p.Category, pt.Category)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Create validates and stores a new product with a server-issued id.
// Returns errs.Invalid, or errs.ErrLostRace if its write kept losing races.
func (s *Service) Create(ctx context.Context, p Product) (*Product, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	p.ID = uuid.Must(uuid.NewV7()).String()
	p.Version, p.CreatedAt, p.UpdatedAt = 1, now, now
	e, err := s.event(EventCreated, &p)
	if err != nil {
		return nil, err
	}
	_, err = retryRaces(ctx, func() (struct{}, error) {
		err := s.store.Create(ctx, &p, []bus.Envelope{e})
		if !errors.Is(err, errs.ErrLostRace) {
			return struct{}{}, err
		}
		// Lost to a product of the same id, or to a concurrent write (a
		// transaction conflict): only the second is worth another try.
		switch _, gerr := s.store.Get(ctx, p.ID); {
		case gerr == nil:
			return struct{}{}, errs.Errorf(errs.Conflict, "Product %s already exists.", p.ID)
		case errs.Is(gerr, errs.NotFound):
			return struct{}{}, err
		default:
			return struct{}{}, gerr
		}
	})
	if err != nil {
		return nil, fmt.Errorf("create product %s: %w", p.ID, err)
	}
	s.committed()
	return &p, nil
}

// Get returns errs.NotFound.
func (s *Service) Get(ctx context.Context, id string) (*Product, error) {
	p, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get product %s: %w", id, err)
	}
	return p, nil
}

// List returns a page of products. Returns errs.Invalid for a filter that
// is not text, or a cursor that a listing with the same filter did not
// issue: {"id"}, plus "category" equal to the filter's for a category.
func (s *Service) List(ctx context.Context, f Filter, r page.Request) (page.Page[*Product], error) {
	if err := f.Validate(); err != nil {
		return page.Page[*Product]{}, err
	}
	var fixed map[string]string
	if f.Category != "" {
		fixed = map[string]string{"category": f.Category}
	}
	if err := page.Check(r.Cursor, fixed, "id"); err != nil {
		return page.Page[*Product]{}, err
	}
	pg, err := s.store.List(ctx, f, r)
	if err != nil {
		return pg, fmt.Errorf("list products (category %q): %w", f.Category, err)
	}
	return pg, nil
}

// Update sets the fields present in pt and keeps the others. A write that
// lost a race to another change is tried again on the new state, up to
// MaxRaces times. Returns errs.NotFound, errs.Invalid, errs.Conflict (a
// version that no longer holds) or errs.ErrLostRace.
func (s *Service) Update(ctx context.Context, id string, pt Patch) (*Product, error) {
	p, err := retryRaces(ctx, func() (*Product, error) {
		return s.store.Update(ctx, id, func(p *Product) ([]bus.Envelope, error) {
			if pt.IfVersion != nil && *pt.IfVersion != p.Version {
				return nil, errs.Errorf(errs.Conflict, "Product %s is at version %d, not %d.", p.ID, p.Version, *pt.IfVersion)
			}
			pt.Apply(p)
			if err := p.Validate(); err != nil {
				return nil, err
			}
			p.Version++
			p.UpdatedAt = s.now()
			e, err := s.event(EventUpdated, p)
			return []bus.Envelope{e}, err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("update product %s: %w", id, err)
	}
	s.committed()
	return p, nil
}

// Delete removes a product, trying again like Update when it lost a race.
// Returns errs.NotFound or errs.ErrLostRace.
func (s *Service) Delete(ctx context.Context, id string) error {
	_, err := retryRaces(ctx, func() (struct{}, error) {
		return struct{}{}, s.store.Delete(ctx, id, func(p *Product) ([]bus.Envelope, error) {
			p.Version++
			e, err := s.event(EventDeleted, p)
			return []bus.Envelope{e}, err
		})
	})
	if err != nil {
		return fmt.Errorf("delete product %s: %w", id, err)
	}
	s.committed()
	return nil
}

// Ping reports whether the catalog's store is reachable.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

func (s *Service) event(detailType string, p *Product) (bus.Envelope, error) {
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), s.source, detailType, Event{
		ProductID: p.ID, Name: p.Name, Category: p.Category, Price: p.Price.String(),
		Version: p.Version, Deleted: detailType == EventDeleted,
	})
	if err != nil {
		return bus.Envelope{}, errs.Errorf(errs.Internal, "encode event: %v", err)
	}
	return e, nil
}
