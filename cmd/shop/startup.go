package main

import (
	"context"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"
)

// initialised is when the main package was initialised: after the runtime
// and every imported package's init, which GODEBUG=inittrace=1 times.
var initialised = time.Now()

// startupPhases times the phases of a start for the "listening" line (the
// "startup" field, in milliseconds): a start slower than expected shows
// where it went without a profiler, on any machine it happens on.
type startupPhases struct {
	last time.Time
	d    *zerolog.Event
}

// newStartupPhases starts timing; the first phase, "main", is the time from
// the main package's initialisation to now (configuration, logger, metrics).
func newStartupPhases() *startupPhases {
	p := &startupPhases{last: initialised, d: zerolog.Dict()}
	p.mark("main")
	return p
}

// mark ends the phase called name. A nil receiver (a Main wired without
// Run) does nothing.
func (p *startupPhases) mark(name string) {
	if p == nil {
		return
	}
	now := time.Now()
	p.d.Dur(name, now.Sub(p.last))
	p.last = now
}

// total adds the time since the main package's initialisation and the CPU
// time the process has used since exec (user and system, the runtime's and
// every package's init included), and returns the phases for a log line.
// On a shared machine the CPU time stays put where the wall clock does not.
func (p *startupPhases) total() *zerolog.Event {
	p.d.Dur("total", time.Since(initialised))
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		p.d.Dur("cpu", time.Duration(ru.Utime.Nano()+ru.Stime.Nano()))
	}
	return p.d
}

// awsConfig loads the AWS configuration on first use and returns it after:
// the stores and the bus share one load. A load reads the shared config
// files and parses any CA bundle (AWS_CA_BUNDLE: 7.5 ms and 1.7 MB a load
// on the machine the issue was measured on), and every cold start on
// Lambda waits for it.
func (m *Main) awsConfig(ctx context.Context) (aws.Config, error) {
	if m.awsCfg == nil {
		cfg, err := loadAWSConfig(ctx)
		if err != nil {
			return aws.Config{}, err
		}
		m.awsCfg = &cfg
	}
	return *m.awsCfg, nil
}
