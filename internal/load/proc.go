package load

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture the shop is built for.
const clockTicks = 100

// cpuTime returns the user plus system CPU time pid has used so far,
// counting all its threads (utime and stime of /proc/PID/stat).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// the fields after its closing parenthesis start with the state (3).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// churnSampleEvery is how often the connection sampler looks. A connection
// that opens and closes between two looks is seen only if it leaves a
// TIME_WAIT entry (see connSampler).
const churnSampleEvery = 100 * time.Millisecond

// connSampler counts the TCP connections a process opens to one port, by
// sampling /proc: the process's own sockets (its /proc/PID/fd links to
// socket inodes, matched with /proc/PID/net/tcp and tcp6) whose remote port
// is the endpoint's, and the TIME_WAIT entries to that port, which a
// connection closed by the client side leaves for 60 s. A connection
// counts once by its local port, whether it was seen established, in
// TIME_WAIT, or both; entries present before the start are not counted.
//
// TIME_WAIT entries belong to no process, so they are counted for the
// process only when nothing else talks to the endpoint during the run:
// measure against a DynamoDB Local of its own (the README's commands do).
type connSampler struct {
	pid, port int

	mu       sync.Mutex
	baseline map[int]bool // local ports present at the start
	seen     map[int]bool // local ports of new connections
	open     int          // established at the last look
}

func newConnSampler(pid, port int) (*connSampler, error) {
	s := &connSampler{pid: pid, port: port, baseline: map[int]bool{}, seen: map[int]bool{}}
	ports, _, err := s.look()
	if err != nil {
		return nil, err
	}
	for p := range ports {
		s.baseline[p] = true
	}
	return s, nil
}

// run samples until ctx ends, then once more.
func (s *connSampler) run(ctx context.Context) {
	t := time.NewTicker(churnSampleEvery)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-ctx.Done():
			s.sample()
			return
		case <-t.C:
		}
	}
}

func (s *connSampler) sample() {
	ports, open, err := s.look()
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = open
	for p := range ports {
		if !s.baseline[p] {
			s.seen[p] = true
		}
	}
}

// counts returns the new connections so far and those established at the
// last look.
func (s *connSampler) counts() (newConns, open int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen), s.open
}

// look returns the local ports of the process's connections to the port
// and of the TIME_WAIT entries to it, and how many are established.
func (s *connSampler) look() (map[int]bool, int, error) {
	inodes, err := socketInodes(s.pid)
	if err != nil {
		return nil, 0, err
	}
	ports, open := map[int]bool{}, 0
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", s.pid, name))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fl := strings.Fields(sc.Text())
			if len(fl) < 10 || hexPort(fl[2]) != s.port {
				continue
			}
			local := hexPort(fl[1])
			switch {
			case fl[3] == "06": // TIME_WAIT
				ports[local] = true
			case inodes[fl[9]]:
				ports[local] = true
				if fl[3] == "01" { // ESTABLISHED
					open++
				}
			}
		}
		f.Close()
	}
	return ports, open, nil
}

// hexPort reads the port of a /proc/net/tcp address (ADDR:PORT in hex).
func hexPort(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	p, err := strconv.ParseInt(addr[i+1:], 16, 32)
	if i < 0 || err != nil {
		return -1
	}
	return int(p)
}

// socketInodes returns the inodes of the sockets pid has open.
func socketInodes(pid int) (map[string]bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range ents {
		l, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		if in, ok := strings.CutPrefix(l, "socket:["); ok {
			out[strings.TrimSuffix(in, "]")] = true
		}
	}
	return out, nil
}
