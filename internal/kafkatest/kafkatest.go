// Package kafkatest gives integration tests a real Apache Kafka broker: a single-node KRaft broker
// on loopback started by the repository's own scripts/kafka.sh (jars from Maven Central, no Docker).
//
// Broker returns the address of a broker shared by every test on the machine (127.0.0.1:9092 unless
// KAFKA_PORT says otherwise), started once per test binary and left running for the next run.
// Private starts a broker of a test's own, on free ports with its data in the test's temporary
// directory, for tests that restart or kill the broker: doing that to the shared one would break
// the tests of other packages running at the same time.
//
// Under `go test -short` the Kafka tests skip. Otherwise a broker that cannot be started makes them
// skip with the reason, or fail when AIGCWATCH_REQUIRE_KAFKA=1 (CI sets it, so a broken install
// cannot pass as "skipped"). AIGCWATCH_KAFKA_ADDR points the tests at a broker started some other
// way; the script is then not run and the restart helpers skip.
//
// The package leaves out anything pipeline-specific: it creates topics and brokers, nothing else.
package kafkatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment variables read by the package.
const (
	// EnvRequire set to 1 turns "no broker" from a skip into a test failure.
	EnvRequire = "AIGCWATCH_REQUIRE_KAFKA"
	// EnvAddr names an already running broker to use instead of starting one.
	EnvAddr = "AIGCWATCH_KAFKA_ADDR"
	// EnvPort is the shared broker's port, as for scripts/kafka.sh (default 9092).
	EnvPort = "KAFKA_PORT"
)

// Bounds on script runs. A cold `up` downloads the jars (about 45 MB) from Maven Central.
const (
	upTimeout      = 10 * time.Minute
	restartTimeout = 3 * time.Minute
)

// Server is one broker run by scripts/kafka.sh: its address and the environment that selects it.
type Server struct {
	// Addr is the bootstrap address, host:port.
	Addr string

	script string   // absolute path of scripts/kafka.sh; empty for an external broker
	env    []string // KAFKA_PORT etc. appended to the process environment
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Broker returns the bootstrap address of the shared test broker, starting it with
// `scripts/kafka.sh up` the first time it is called in a test binary. It skips under -short, and
// when the broker cannot be had it skips (or fails, with AIGCWATCH_REQUIRE_KAFKA=1) saying why.
func Broker(t testing.TB) string {
	t.Helper()
	return sharedServer(t).Addr
}

func sharedServer(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("kafkatest: Kafka integration test skipped in -short mode")
	}
	shared.once.Do(func() {
		shared.srv, shared.err = startShared()
		if shared.err == nil && shared.srv.script != "" {
			fmt.Fprintf(os.Stderr, "kafkatest: broker up on %s (scripts/kafka.sh logs prints its log)\n", shared.srv.Addr)
		}
	})
	if shared.err != nil {
		unavailable(t, shared.err)
	}
	return shared.srv
}

func startShared() (*Server, error) {
	if addr := os.Getenv(EnvAddr); addr != "" {
		return &Server{Addr: addr}, nil
	}
	script, err := findScript()
	if err != nil {
		return nil, err
	}
	port := os.Getenv(EnvPort)
	if port == "" {
		port = "9092"
	}
	if _, err := strconv.Atoi(port); err != nil {
		return nil, fmt.Errorf("kafkatest: %s=%q is not a port number", EnvPort, port)
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", port), script: script}
	if _, err := s.run(upTimeout, "up"); err != nil {
		return nil, err
	}
	return s, nil
}

var skipNotice sync.Once

// unavailable ends the test: a failure when the environment requires Kafka, a skip otherwise.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("kafkatest: %s=1 but the Kafka test environment is incomplete: %v", EnvRequire, err)
	}
	skipNotice.Do(func() {
		fmt.Fprintf(os.Stderr, "kafkatest: skipping Kafka integration tests: %v\n", err)
	})
	t.Skipf("kafkatest: skipped (set %s=1 to fail instead): %v", EnvRequire, err)
}

// Restart restarts the shared broker gracefully (SIGTERM, then start); its data is kept. Every test
// using the shared broker, in this package and in others running concurrently, sees the outage:
// prefer Private(t).Restart(t).
func Restart(t testing.TB) {
	t.Helper()
	sharedServer(t).Restart(t)
}

// Crash kills the shared broker with SIGKILL and starts it again, as after a machine crash; data
// acknowledged with acks=all is kept. The same warning as for Restart applies: prefer
// Private(t).Kill(t) followed by Start(t).
func Crash(t testing.TB) {
	t.Helper()
	s := sharedServer(t)
	s.Kill(t)
	s.Start(t)
}

// Private starts a broker for this test alone, on free loopback ports, with its state (config,
// data, log) in a temporary directory; it is killed when the test ends, and its log tail is
// printed if the test failed. Start-up takes a few seconds and about 400 MB of memory.
func Private(t testing.TB) *Server {
	t.Helper()
	s := newPrivate(t)
	if _, err := s.run(upTimeout, "up"); err != nil {
		unavailable(t, err)
	}
	return s
}

// newPrivate prepares a private broker without starting it.
func newPrivate(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("kafkatest: Kafka integration test skipped in -short mode")
	}
	if os.Getenv(EnvAddr) != "" {
		t.Skipf("kafkatest: %s is set: not starting a private broker", EnvAddr)
	}
	script, err := findScript()
	if err != nil {
		unavailable(t, err)
	}
	ports, err := freePorts(2)
	if err != nil {
		unavailable(t, err)
	}
	state := t.TempDir()
	s := &Server{
		Addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		script: script,
		env: []string{
			"KAFKA_PORT=" + strconv.Itoa(ports[0]),
			"KAFKA_CONTROLLER_PORT=" + strconv.Itoa(ports[1]),
			"AIGCWATCH_KAFKA_STATE=" + state,
			"KAFKA_HEAP_OPTS=-Xms128m -Xmx512m",
		},
	}
	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		if t.Failed() {
			if out, err := s.run(time.Minute, "logs"); err == nil {
				t.Logf("kafkatest: private broker %s log tail:\n%s", s.Addr, lastLines(out, 30))
			}
		}
		if _, err := s.run(time.Minute, "kill"); err != nil {
			t.Errorf("kafkatest: stopping private broker %s: %v", s.Addr, err)
		}
	})
	return s
}

// Start starts the broker if it is down and waits until it answers; a no-op when it is up.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.must(t, restartTimeout, "up")
}

// Stop stops the broker gracefully (SIGTERM); its data is kept.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.must(t, restartTimeout, "down")
}

// Restart stops the broker gracefully and starts it again; its data is kept.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.must(t, restartTimeout, "restart")
}

// Kill kills the broker with SIGKILL, as in a crash; it stays down until Start. Data written with
// acks=all survives (the broker recovers its log on the next start).
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.must(t, restartTimeout, "kill")
}

func (s *Server) must(t testing.TB, timeout time.Duration, args ...string) {
	t.Helper()
	if s.script == "" {
		t.Skipf("kafkatest: broker %s was not started by scripts/kafka.sh: cannot %s it", s.Addr, args[0])
	}
	if _, err := s.run(timeout, args...); err != nil {
		t.Fatal(err)
	}
}

// run runs scripts/kafka.sh with args and returns its combined output; the error carries it.
func (s *Server) run(timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{s.script}, args...)...)
	cmd.Env = append(os.Environ(), s.env...)
	// The broker is detached by the script and holds none of our pipes; WaitDelay is a guard.
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("kafkatest: scripts/kafka.sh %s: %w\n%s", strings.Join(args, " "), err, lastLines(out.Bytes(), 60))
	}
	return out.Bytes(), nil
}

// findScript walks up from the working directory (a package directory under go test) to the
// directory holding go.mod and scripts/kafka.sh.
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("kafkatest: %w", err)
	}
	for {
		script := filepath.Join(dir, "scripts", "kafka.sh")
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(script); err != nil {
				return "", fmt.Errorf("kafkatest: %s not found next to %s/go.mod", script, dir)
			}
			return script, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("kafkatest: no go.mod above the working directory: cannot find scripts/kafka.sh")
		}
		dir = parent
	}
}

// freePorts asks the kernel for n distinct free loopback ports. They are released before the
// broker binds them, so another process could take one first; the script then fails clearly.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("kafkatest: finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Kcat returns the path of kcat (or kafkacat), the third-party Kafka client from Debian that
// scripts/deps.sh installs. Without it the test skips, or fails when AIGCWATCH_REQUIRE_KAFKA=1.
func Kcat(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"kcat", "kafkacat"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	unavailable(t, errors.New("kcat not found: run scripts/deps.sh"))
	return ""
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// BrokerCPU returns a function that reads the CPU time (user + system) the shared broker's
// process has used so far, for benchmarks that report the broker's share of the work. It
// returns nil when the broker is not one this package started with scripts/kafka.sh (an
// external broker, or no /proc).
func BrokerCPU(t testing.TB) func() time.Duration {
	t.Helper()
	s := sharedServer(t)
	if s.script == "" {
		return nil
	}
	out, err := s.run(30*time.Second, "status")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(out))
	i := slices.Index(f, "pid")
	if i < 0 || i+1 >= len(f) {
		return nil
	}
	stat := "/proc/" + f[i+1] + "/stat"
	read := func() time.Duration {
		b, err := os.ReadFile(stat)
		if err != nil {
			return -1
		}
		// Fields after the command name (which may hold spaces, so cut at the last ')'):
		// utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
		g := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(g) < 13 {
			return -1
		}
		u, _ := strconv.ParseInt(g[11], 10, 64)
		s, _ := strconv.ParseInt(g[12], 10, 64)
		return time.Duration(u+s) * time.Second / clockTicks
	}
	if read() < 0 {
		return nil
	}
	return read
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux ABI Go
// supports.
const clockTicks = 100
