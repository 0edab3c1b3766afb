//go:build race

package metrics_test

// raceEnabled: the race detector's instrumentation allocates on its own, so
// allocation counts mean nothing under it.
const raceEnabled = true
