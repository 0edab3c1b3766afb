package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Store times the operations of the modules' stores.
type Store struct {
	duration *prometheus.HistogramVec
}

// NewStore registers the store instrument on reg.
func NewStore(reg prometheus.Registerer) *Store {
	s := &Store{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "store", Name: "operation_duration_seconds",
		Help:    "Time a module's store took for one operation (whatever its outcome), by module and operation.",
		Buckets: latencyBuckets,
	}, []string{"module", "operation"})}
	reg.MustRegister(s.duration)
	return s
}

// Op returns the instrument of one operation, to be kept by the caller and
// observed in seconds.
func (s *Store) Op(module, operation string) prometheus.Observer {
	return s.duration.WithLabelValues(module, operation)
}
