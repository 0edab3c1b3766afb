package testenv

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Variables scripts/test.sh sets so that a test can start an emulator of
// its own, one it may stop and start again without disturbing the shared
// ones other tests use.
const (
	// EmulatorDirEnv names the variable holding tools/emulators (its
	// launchers, and node_modules with fauxqs).
	EmulatorDirEnv = "SHOP_TEST_EMULATOR_DIR"
	// DynamoDBJarDirEnv names the variable holding the directory of
	// DynamoDBLocal.jar and its native libraries.
	DynamoDBJarDirEnv = "SHOP_TEST_DYNAMODB_JAR_DIR"
)

// readyTimeout bounds an emulator's start: a JVM on a busy 2-core box is slow.
const readyTimeout = 90 * time.Second

// Emulator is an emulator process a test owns: it can be stopped and started again on the same port, so a
// client configured with Endpoint reaches the new process. The test's
// cleanup stops it.
type Emulator struct {
	// Endpoint is the emulator's base URL, on 127.0.0.1.
	Endpoint string
	name     string
	port     int
	args     []string
	env      []string
	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	log      bytes.Buffer
}

// StartDynamoDBLocal starts a DynamoDB Local of the test's own, bound to
// 127.0.0.1, keeping its tables in dbDir (-dbPath) so that they outlive a
// stop and start. It skips the test (fails it when CI=true) when Java or
// DynamoDBLocal.jar cannot be found.
func StartDynamoDBLocal(tb testing.TB, dbDir string) *Emulator {
	tb.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		unavailable(tb, "java is not on PATH: this test starts a DynamoDB Local of its own")
	}
	emu := emulatorDir(tb)
	jars := os.Getenv(DynamoDBJarDirEnv)
	if jars == "" {
		jars = filepath.Join(emu, "node_modules", "amplify-dynamodb-simulator", "emulator")
	}
	if _, err := os.Stat(filepath.Join(jars, "DynamoDBLocal.jar")); err != nil {
		unavailable(tb, DynamoDBJarDirEnv+" does not hold DynamoDBLocal.jar ("+err.Error()+"); run the test through scripts/test.sh")
	}
	port := freePort(tb)
	e := &Emulator{
		name: "DynamoDB Local", port: port, env: []string{"DDB_LOCAL_TELEMETRY=0"},
		args: []string{java, "-Djava.library.path=" + filepath.Join(jars, "DynamoDBLocal_lib"),
			"-cp", filepath.Join(jars, "DynamoDBLocal.jar"), filepath.Join(emu, "DynamoDBLocalLoopback.java"),
			"-dbPath", dbDir, "-port", strconv.Itoa(port), "-disableTelemetry"},
	}
	return e.run(tb)
}

// StartSQS starts a fauxqs SQS emulator of the test's own on 127.0.0.1. Its
// state is in memory: a stop loses its queues and their messages, which the
// test recreates, as it would find them on a real SQS that was unreachable.
// It skips the test (fails it when CI=true) when Node.js or fauxqs cannot be
// found.
func StartSQS(tb testing.TB) *Emulator {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(tb, "node is not on PATH: this test starts an SQS emulator of its own")
	}
	emu := emulatorDir(tb)
	if _, err := os.Stat(filepath.Join(emu, "node_modules", "fauxqs")); err != nil {
		unavailable(tb, "fauxqs is not installed under "+emu+"; run the test through scripts/test.sh")
	}
	port := freePort(tb)
	e := &Emulator{
		name: "fauxqs", port: port, env: []string{"FAUXQS_PORT=" + strconv.Itoa(port), "FAUXQS_LOGGER=false"},
		args: []string{node, filepath.Join(emu, "fauxqs-loopback.mjs")},
	}
	return e.run(tb)
}

// run starts the process for the first time and registers its cleanup.
func (e *Emulator) run(tb testing.TB) *Emulator {
	tb.Helper()
	e.Endpoint = "http://127.0.0.1:" + strconv.Itoa(e.port)
	tb.Cleanup(func() {
		e.Stop(tb)
		if tb.Failed() {
			tb.Logf("%s log:\n%s", e.name, e.Log())
		}
	})
	e.Start(tb)
	return e
}

// Start starts the emulator (again) on its port and waits until it answers
// HTTP.
func (e *Emulator) Start(tb testing.TB) {
	tb.Helper()
	e.mu.Lock()
	cmd := exec.Command(e.args[0], e.args[1:]...)
	cmd.Env = append(os.Environ(), e.env...)
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &e.mu, w: &e.log}, &lockedWriter{mu: &e.mu, w: &e.log}
	if err := cmd.Start(); err != nil {
		e.mu.Unlock()
		tb.Fatalf("start %s: %v", e.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	e.cmd, e.done = cmd, done
	e.mu.Unlock()
	deadline := time.Now().Add(readyTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		// Any HTTP answer, even a 400 to a bare GET, means it serves.
		if res, err := client.Get(e.Endpoint); err == nil {
			res.Body.Close()
			return
		}
		select {
		case <-done:
			tb.Fatalf("%s exited before answering on %s:\n%s", e.name, e.Endpoint, e.Log())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not answer on %s within %s:\n%s", e.name, e.Endpoint, readyTimeout, e.Log())
		}
	}
}

// Stop ends the emulator with SIGTERM, as an orderly restart of the
// service would (SIGKILL after 10 s), and waits until it has exited, so its
// port refuses connections. Stopping a stopped emulator does nothing.
func (e *Emulator) Stop(tb testing.TB) {
	tb.Helper()
	e.mu.Lock()
	cmd, done := e.cmd, e.done
	e.cmd = nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Log returns what the emulator printed so far, over all its starts.
func (e *Emulator) Log() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// emulatorDir finds tools/emulators: from SHOP_TEST_EMULATOR_DIR, else by
// walking up from the working directory (a package's) to the module root.
func emulatorDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(EmulatorDirEnv); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "tools", "emulators")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			unavailable(tb, EmulatorDirEnv+" is not set and no go.mod is above the working directory")
		}
		dir = parent
	}
}

// freePort returns a loopback TCP port nothing listens on now. Another
// process could take it before the emulator binds; the emulator then exits
// and Start says so.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// unavailable skips the test, or fails it in CI, for want of msg.
func unavailable(tb testing.TB, msg string) {
	tb.Helper()
	if InCI() {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}
