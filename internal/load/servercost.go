package load

import (
	"context"
	"net/http"
	"time"
)

// ServerResult is what the measured run cost the server process: its CPU
// time per request, and the connections it opened to DynamoDB.
type ServerResult struct {
	PID int `json:"pid"`
	// Requests are the requests of the measured run (failed ones too).
	Requests int64 `json:"requests"`
	// CPURunSeconds is utime+stime of the process (all threads, from
	// /proc/PID/stat, 10 ms resolution) from the start of the measured run
	// to its end; CPUPerRequestUs divides it by Requests.
	CPURunSeconds   float64 `json:"cpuRunSeconds"`
	CPUPerRequestUs float64 `json:"cpuPerRequestUs"`
	// Drained tells whether the event work the run caused (outboxes
	// emptied, subscribers idle; see awaitDrained) finished within
	// -drain-timeout of the run's end, and DrainSeconds how long after
	// the end it did. The CPU figures with "Drained" run to that moment
	// (read one poll, 100 ms, after it): the requests' background work
	// included. Without an operator listener nothing is awaited.
	Drained                bool    `json:"drained"`
	DrainSeconds           float64 `json:"drainSeconds,omitempty"`
	CPUDrainedSeconds      float64 `json:"cpuDrainedSeconds,omitempty"`
	CPUPerRequestDrainedUs float64 `json:"cpuPerRequestDrainedUs,omitempty"`
	// DynamoDB is the endpoint whose connections were counted (-dynamodb).
	DynamoDB string `json:"dynamodb,omitempty"`
	// NewConnections is how many TCP connections to it the process opened
	// from the start of the run until drained (see connSampler for how
	// they are counted); NewPer1000 per 1,000 requests; OpenAtEnd how many
	// were established at the last look.
	NewConnections int     `json:"newConnections"`
	NewPer1000     float64 `json:"newPer1000"`
	OpenAtEnd      int     `json:"openAtEnd"`
}

// serverMeter measures one run's cost to the server process.
type serverMeter struct {
	res      ServerResult
	cpu0     time.Duration
	conns    *connSampler
	stopConn context.CancelFunc
	connDone chan struct{}
}

// startMeter reads the CPU time of pid and, with a DynamoDB port, starts
// counting the connections to it.
func startMeter(ctx context.Context, pid int, dynamo *dynamoRun) (*serverMeter, error) {
	cpu, err := cpuTime(pid)
	if err != nil {
		return nil, err
	}
	m := &serverMeter{res: ServerResult{PID: pid}, cpu0: cpu}
	if dynamo != nil {
		m.res.DynamoDB = dynamo.endpoint
		if m.conns, err = newConnSampler(pid, dynamo.port); err != nil {
			return nil, err
		}
		cctx, cancel := context.WithCancel(ctx)
		m.stopConn, m.connDone = cancel, make(chan struct{})
		go func() { defer close(m.connDone); m.conns.run(cctx) }()
	}
	return m, nil
}

// runEnded reads the CPU time at the end of the run of requests.
func (m *serverMeter) runEnded(requests int64) {
	m.res.Requests = requests
	if cpu, err := cpuTime(m.res.PID); err == nil {
		m.res.CPURunSeconds = (cpu - m.cpu0).Seconds()
		m.res.CPUPerRequestUs = perRequestUs(cpu-m.cpu0, requests)
	}
}

// finish waits for the event work to drain (when metricsURL is set), reads
// the CPU time again and stops counting connections.
func (m *serverMeter) finish(ctx context.Context, client *http.Client, metricsURL string, runEnd time.Time, timeout time.Duration) (*ServerResult, error) {
	var err error
	if metricsURL != "" {
		var at time.Time
		at, m.res.Drained, err = awaitDrained(ctx, client, metricsURL, timeout)
		if m.res.Drained {
			m.res.DrainSeconds = max(0, at.Sub(runEnd).Seconds())
			if cpu, cerr := cpuTime(m.res.PID); cerr == nil {
				m.res.CPUDrainedSeconds = (cpu - m.cpu0).Seconds()
				m.res.CPUPerRequestDrainedUs = perRequestUs(cpu-m.cpu0, m.res.Requests)
			}
		}
	}
	if m.conns != nil {
		m.stopConn()
		<-m.connDone
		m.res.NewConnections, m.res.OpenAtEnd = m.conns.counts()
		if m.res.Requests > 0 {
			m.res.NewPer1000 = 1000 * float64(m.res.NewConnections) / float64(m.res.Requests)
		}
	}
	return &m.res, err
}

func perRequestUs(d time.Duration, requests int64) float64 {
	if requests == 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(requests)
}
