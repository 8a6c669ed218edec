package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/webhook"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

const testWhsec = "whsec_YWlnY3dhdGNoLXRlc3QtdmVjdG9yLWtleS0zMmJ5dGU="

// startCmd starts the built binary with any subcommand.
func startCmd(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	return launch(t, name, exec.Command(bin, args...), nil)
}

// launch starts cmd with its output in the proc's log and env added to the environment;
// the process is killed when the test ends, and also when the test binary itself dies
// (diesWithParent: a test binary killed by a timeout would leave it running).
func launch(t *testing.T, name string, cmd *exec.Cmd, env []string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: cmd, log: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = p.log
	p.cmd.Stdout = p.log
	diesWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() || testing.Verbose() {
			t.Logf("%s log:\n%s", name, lastLines(p.log.String(), 40))
		}
	})
	return p
}

func (p *proc) kill9(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.done <- nil // for the cleanup
}

// realIncidents judges the sample stream with the built binary, copies times over with
// fresh record ids, and returns the incident events it wrote.
func realIncidents(t *testing.T, bin string, copies int) [][]byte {
	t.Helper()
	src, err := os.ReadFile("../../examples/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for k := range copies {
		in.Write(regexp.MustCompile(`"id":"`).ReplaceAll(src, fmt.Appendf(nil, `"id":"c%d-`, k)))
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in.jsonl"), in.Bytes(), 0o644)
	out := filepath.Join(dir, "inc.jsonl")
	cmd := exec.Command(bin, "scan", filepath.Join(dir, "in.jsonl"), "--out", os.DevNull, "--incidents", out, "--quiet", "--dlq", os.DevNull)
	if b, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() != exitGate {
		t.Fatalf("scan: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		evs = append(evs, bytes.Clone(sc.Bytes()))
	}
	if len(evs) < 50*copies {
		t.Fatalf("only %d incidents from the sample stream", len(evs))
	}
	return evs
}

func produceEvents(t *testing.T, addr, topic string, evs [][]byte) map[string]bool {
	t.Helper()
	w := streamtest.Writer(addr)
	defer w.Close()
	ids := map[string]bool{}
	var msgs []kafka.Message
	for _, ev := range evs {
		sum, err := incident.Summarize(ev)
		if err != nil {
			t.Fatal(err)
		}
		ids[sum.ID] = true
		msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(sum.Provider), Value: ev})
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	return ids
}

// testReceiver is the regulator's endpoint: it verifies each request, counts every
// incident event it gets (raw, duplicates included) and the distinct ids.
type testReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret webhook.Secret
	mu     sync.Mutex
	up     bool
	delay  time.Duration // per accepted request: a slow receiver
	downs  int           // requests refused while down
	raw    int
	ids    map[string]int
	bad    []string
}

func newTestReceiver(t *testing.T, up bool) *testReceiver {
	k, _ := webhook.ParseSecret(testWhsec)
	r := &testReceiver{t: t, secret: k, up: up, ids: map[string]int{}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *testReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.up {
		r.downs++
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if _, err := webhook.Verify(req.Header, body, time.Now(), 0, r.secret); err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if r.delay > 0 {
		r.mu.Unlock()
		time.Sleep(r.delay)
		r.mu.Lock()
	}
	var events []json.RawMessage
	if strings.HasPrefix(req.Header.Get("Content-Type"), webhook.ContentTypeBatch) {
		json.Unmarshal(body, &events)
	} else {
		events = []json.RawMessage{body}
	}
	for _, e := range events {
		var x struct{ ID, Type string }
		json.Unmarshal(e, &x)
		if x.Type == incident.Type || x.Type == incident.EnforcementType { // level changes travel with the incidents
			r.raw++
			r.ids[x.ID]++
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *testReceiver) state() (up bool, downs, raw, unique int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.up, r.downs, r.raw, len(r.ids)
}

func (r *testReceiver) setUp(v bool) { r.mu.Lock(); r.up = v; r.mu.Unlock() }

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeRoutes(t *testing.T, dir, body string) string {
	t.Helper()
	os.WriteFile(filepath.Join(dir, "r.whsec"), []byte(testWhsec+"\n"), 0o600)
	p := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeliverKill9WhileReceiverDown is the must-show of issue 13 on the real broker:
// incidents judged by the built binary are on the incidents topic; the receiver is down;
// `aigcwatch deliver` is killed with SIGKILL while it retries, restarted, killed again in
// the middle of delivering once the receiver is back, and restarted. Every incident
// arrives, exactly once by id after dedup; the raw count (duplicates before dedup) is
// reported.
func TestDeliverKill9WhileReceiverDown(t *testing.T) {
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	evs := realIncidents(t, bin, 4)
	topic := kafkatest.CreateTopic(t, addr, "incidents", 3)
	parking := kafkatest.CreateTopic(t, addr, "parked", 1)
	want := produceEvents(t, addr, topic, evs)

	rcv := newTestReceiver(t, false)
	dir := t.TempDir()
	routes := writeRoutes(t, dir, fmt.Sprintf(`
receivers:
  - {name: regulator, url: %q, secret_file: r.whsec, max_attempts: 100000, max_age: 1h, backoff_min: 50ms, backoff_max: 300ms}
route:
  receiver: regulator
  group_by: [provider, rule]
  group_wait: 100ms
  group_interval: 100ms
`, rcv.srv.URL))
	prefix := kafkatest.Name(t, "deliver")
	args := []string{"deliver", "--routes", routes, "--brokers", addr, "--topic", topic, "--parking-topic", parking,
		"--group-prefix", prefix, "--state", filepath.Join(dir, "state.db"), "--log-level", "debug"}
	lag := func() int64 {
		l, err := streamtest.Lag(context.Background(), addr, topic, prefix+".regulator", 3)
		if err != nil {
			t.Fatalf("lag: %v", err)
		}
		return l
	}

	p1 := startCmd(t, "deliver#1", bin, args...)
	waitFor(t, "attempts against the down receiver", 60*time.Second, func() bool { _, d, _, _ := rcv.state(); return d >= 5 })
	time.Sleep(time.Second) // commit intervals pass: nothing may be committed while the receiver is down
	p1.kill9(t)
	_, downs1, _, _ := rcv.state()
	if l := lag(); l != int64(len(want)) {
		t.Errorf("the group committed past undelivered incidents while the receiver was down: lag %d, want %d", l, len(want))
	}

	p2 := startCmd(t, "deliver#2", bin, args...)
	waitFor(t, "attempts after the restart", 60*time.Second, func() bool { _, d, _, _ := rcv.state(); return d >= downs1+5 })
	rcv.setUp(true)
	waitFor(t, "the first deliveries", 60*time.Second, func() bool { _, _, _, u := rcv.state(); return u > 0 })
	p2.kill9(t) // in the middle of delivering
	_, _, raw2, unique2 := rcv.state()

	p3 := startCmd(t, "deliver#3", bin, args...)
	waitFor(t, "every incident", 90*time.Second, func() bool { _, _, _, u := rcv.state(); return u >= len(want) })
	time.Sleep(2 * time.Second) // anything sent twice would arrive now
	p3.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p3.done:
		p3.done <- err
		if err != nil {
			t.Errorf("deliver did not exit cleanly on SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("deliver did not stop within 20s of SIGTERM")
	}

	if l := lag(); l != 0 {
		t.Errorf("after every incident was delivered and deliver stopped, the group's lag is %d, want 0", l)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for id := range want {
		if rcv.ids[id] == 0 {
			t.Errorf("incident %s never arrived", id)
		}
	}
	for id := range rcv.ids {
		if !want[id] {
			t.Errorf("unknown incident %s arrived", id)
		}
	}
	if len(rcv.bad) > 0 {
		t.Errorf("%d requests failed verification: %v", len(rcv.bad), rcv.bad[0])
	}
	t.Logf("%d incidents, %d distinct arrived; raw deliveries %d (%d duplicates before dedup); %d refused while down; at the second kill: %d raw, %d distinct",
		len(want), len(rcv.ids), rcv.raw, rcv.raw-len(rcv.ids), rcv.downs, raw2, unique2)
}

// TestDeliverOneReceiverDeadForGood: two receivers, one down for good. The live one gets
// every incident; the dead one's are parked on the parking topic with the last error, and
// the metric counts them.
func TestDeliverOneReceiverDeadForGood(t *testing.T) {
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	evs := realIncidents(t, bin, 2)
	topic := kafkatest.CreateTopic(t, addr, "incidents", 3)
	parking := kafkatest.CreateTopic(t, addr, "parked", 1)
	want := produceEvents(t, addr, topic, evs)
	live := newTestReceiver(t, true)
	dead := newTestReceiver(t, false)
	dir := t.TempDir()
	routes := writeRoutes(t, dir, fmt.Sprintf(`
receivers:
  - {name: live, url: %q, secret_file: r.whsec}
  - {name: dead, url: %q, secret_file: r.whsec, max_attempts: 3, backoff_min: 20ms, backoff_max: 50ms}
route:
  receiver: live
  group_wait: 100ms
  routes:
    - {receiver: dead, match_re: {provider: ".*"}, continue: true}
    - {receiver: live, match_re: {provider: ".*"}}
`, live.srv.URL, dead.srv.URL))
	p := startCmd(t, "deliver", bin, "deliver", "--routes", routes, "--brokers", addr, "--topic", topic, "--parking-topic", parking,
		"--group-prefix", kafkatest.Name(t, "deliver"), "--state", filepath.Join(dir, "state.db"), "--listen", "127.0.0.1:0")
	start := time.Now()
	waitFor(t, "the live receiver to get everything", 60*time.Second, func() bool { _, _, _, u := live.state(); return u >= len(want) })
	t.Logf("live receiver had all %d incidents after %v", len(want), time.Since(start).Round(time.Millisecond))

	// The parking topic holds every incident of the dead receiver, with its last error.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: parking, StartOffset: kafka.FirstOffset, MaxWait: 500 * time.Millisecond})
	defer r.Close()
	parked := map[string]bool{}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for len(parked) < len(want) {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("parking topic: %d of %d parked: %v", len(parked), len(want), err)
		}
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		if h[deliver.HeaderReceiver] != "dead" || !strings.Contains(h[deliver.HeaderError], "503") || !strings.Contains(h[deliver.HeaderError], "down for maintenance") || h[deliver.HeaderAttempts] != "3" {
			t.Fatalf("parked without its last error: %v", h)
		}
		sum, err := incident.Summarize(m.Value)
		if err != nil || string(m.Key) != sum.ID {
			t.Fatalf("parked message is not the incident: %v", err)
		}
		parked[sum.ID] = true
	}
	for id := range want {
		if !parked[id] {
			t.Errorf("%s not parked", id)
		}
	}
	// The metric says so.
	m := regexp.MustCompile(`on http://(\S+)`).FindStringSubmatch(p.log.String())
	if m == nil {
		t.Fatal("no listen address in the log")
	}
	var metrics string
	waitFor(t, "the parked metric", 20*time.Second, func() bool {
		resp, err := http.Get("http://" + m[1] + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		metrics = string(b)
		return strings.Contains(metrics, `aigcwatch_delivery_incidents_total{outcome="parked",receiver="dead"} `+strconv.Itoa(len(want)))
	})
	for _, wantLine := range []string{
		`aigcwatch_delivery_incidents_total{outcome="delivered",receiver="live"} ` + strconv.Itoa(len(want)),
		`aigcwatch_delivery_attempts_total{receiver="dead",status_class="5xx"}`,
		`aigcwatch_delivery_incidents_total{outcome="parked",receiver="live"} 0`,
		`aigcwatch_routes_config_last_reload_successful 1`,
	} {
		if !strings.Contains(metrics, wantLine) {
			t.Errorf("metrics lack %q", wantLine)
		}
	}
	// The exposition passes Prometheus's own lint (units, _total on counters).
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(metrics)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
}

// TestRunDeliversAndKeepsHistory: `aigcwatch run` with a routing file and an incident
// store judges the sample stream from Kafka, delivers every incident to the receiver and
// keeps every one in its history, which `aigcwatch incidents` reads while run runs.
func TestRunDeliversAndKeepsHistory(t *testing.T) {
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	evs := realIncidents(t, bin, 1)
	want := map[string]bool{}
	for _, ev := range evs {
		if bytes.Contains(ev, []byte(`"type":"`+incident.EnforcementType+`"`)) {
			continue // scan's enforcement level changes: run does not apply enforcement yet
		}
		s, _ := incident.Summarize(ev)
		want[s.ID] = true
	}
	rt := newRunTopics(t, addr, 3)
	parking := kafkatest.CreateTopic(t, addr, "parked", 1)
	src, err := os.ReadFile("../../examples/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var recs []streamtest.Record
	for i, line := range bytes.Split(bytes.TrimSpace(src), []byte("\n")) {
		recs = append(recs, streamtest.Record{ID: fmt.Sprint("l", i), Value: bytes.ReplaceAll(line, []byte(`"id":"`), []byte(`"id":"c0-`))})
	}
	streamtest.Produce(t, addr, rt.in, recs)
	rcv := newTestReceiver(t, true)
	dir := t.TempDir()
	routes := writeRoutes(t, dir, fmt.Sprintf("receivers: [{name: regulator, url: %q, secret_file: r.whsec}]\nroute: {receiver: regulator, group_wait: 200ms}\n", rcv.srv.URL))
	db := filepath.Join(dir, "incidents.db")
	env, args := rt.args()
	p := startProc(t, "run", bin, env, append(args, "--routes", routes, "--incidents-store", db, "--parking-topic", parking,
		"--delivery-group-prefix", kafkatest.Name(t, "deliver"), "--history-group", kafkatest.Name(t, "history"))...)
	waitFor(t, "every incident at the receiver", 2*time.Minute, func() bool { _, _, _, u := rcv.state(); return u >= len(want) })
	var listed map[string]bool
	waitFor(t, "every incident in the history", time.Minute, func() bool {
		out, err := exec.Command(bin, "incidents", "--store", db, "--all", "--json", "--limit", "7").Output()
		if err != nil {
			return false
		}
		listed = map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if s, err := incident.Summarize([]byte(line)); err == nil {
				listed[s.ID] = true
			}
		}
		return len(listed) >= len(want)
	})
	rcv.mu.Lock()
	for id := range want {
		if rcv.ids[id] == 0 || !listed[id] {
			t.Errorf("incident %s: delivered %d times, in the history %v", id, rcv.ids[id], listed[id])
		}
	}
	if len(rcv.ids) != len(want) || len(listed) != len(want) {
		t.Errorf("%d delivered, %d listed, want %d", len(rcv.ids), len(listed), len(want))
	}
	rcv.mu.Unlock()
	// run's one listener serves the history API and the delivery metrics beside its own.
	m := regexp.MustCompile(`msg="serving metrics" component=run addr=(\S+) endpoints="[^"]*/v1/incidents"`).FindStringSubmatch(p.log.String())
	if m == nil {
		t.Fatalf("run does not serve /v1/incidents:\n%s", lastLines(p.log.String(), 20))
	}
	get := func(path string) string {
		resp, err := http.Get("http://" + m[1] + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	var page struct{ Incidents []json.RawMessage }
	if err := json.Unmarshal([]byte(get("/v1/incidents?limit=1000")), &page); err != nil || len(page.Incidents) != len(want) {
		t.Errorf("GET /v1/incidents on run's listener: %d incidents (%v), want %d", len(page.Incidents), err, len(want))
	}
	if exp := get("/metrics"); !strings.Contains(exp, "aigcwatch_records_judged_total") || !strings.Contains(exp, "aigcwatch_delivery_") {
		t.Errorf("run's /metrics lacks the judging or the delivery metrics")
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Errorf("run exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("run did not stop within 30s of SIGTERM")
	}
}

// prometheusWith starts a private Prometheus (scripts/prometheus.sh, its own port and state
// directory) scraping target every second with the delivery alert rules, and returns its
// base URL; it is stopped when the test ends. Without Prometheus installed it skips (fails
// with AIGCWATCH_REQUIRE_KAFKA=1, as CI sets).
func prometheusWith(t *testing.T, target string) string {
	t.Helper()
	if _, err := exec.LookPath("prometheus"); err != nil {
		if os.Getenv("AIGCWATCH_REQUIRE_KAFKA") == "1" {
			t.Fatal("prometheus not installed (scripts/deps.sh installs it)")
		}
		t.Skip("prometheus not installed (scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	rules, _ := filepath.Abs("../../deploy/prometheus/incidents.rules.yml")
	cfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: aigcwatch-deliver
    static_configs: [{targets: [%q]}]
`, rules, target)), 0o644)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	env := append(os.Environ(), "PROMETHEUS_PORT="+port, "AIGCWATCH_PROM_STATE="+filepath.Join(dir, "state"))
	script, _ := filepath.Abs("../../scripts/prometheus.sh")
	up := exec.Command(script, "up", cfg)
	up.Env = env
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("prometheus.sh up: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		down := exec.Command(script, "down")
		down.Env = env
		down.Run()
	})
	return "http://127.0.0.1:" + port
}

// TestParkedAlertFiresInPrometheus: a real Prometheus scraping `aigcwatch deliver` with
// deploy/prometheus/incidents.rules.yml fires AigcwatchIncidentsParked for a receiver that
// refuses every incident (HTTP 400 parks at once).
func TestParkedAlertFiresInPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus; skipped in -short")
	}
	bin := aigcwatchBinary(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "we do not take these", http.StatusBadRequest)
	}))
	defer refusing.Close()
	dir := t.TempDir()
	routes := writeRoutes(t, dir, fmt.Sprintf("receivers: [{name: refuser, url: %q, secret_file: r.whsec}]\nroute: {receiver: refuser, group_wait: 0s}\n", refusing.URL))
	ob := filepath.Join(dir, "outbox.db")
	p := startCmd(t, "deliver", bin, "deliver", "--outbox", ob, "--routes", routes, "--listen", "127.0.0.1:0")
	waitFor(t, "the listener", 20*time.Second, func() bool { return strings.Contains(p.log.String(), "serving /metrics") })
	addr := regexp.MustCompile(`on http://(\S+)`).FindStringSubmatch(p.log.String())[1]
	prom := prometheusWith(t, addr)
	// Prometheus must have the counter at 0 before incidents get parked.
	waitFor(t, "Prometheus to scrape the parked counter at 0", 60*time.Second, func() bool {
		resp, err := http.Get(prom + `/api/v1/query?query=aigcwatch_delivery_incidents_total{outcome="parked"}`)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `"receiver":"refuser"`)
	})
	time.Sleep(2 * time.Second)
	if out, err := exec.Command(bin, "scan", "../../examples/stream.jsonl", "--out", os.DevNull, "--dlq", os.DevNull, "--quiet",
		"--outbox", ob, "--routes", routes, "--deliver-timeout", "0s").CombinedOutput(); err != nil {
		t.Fatalf("scan: %v\n%s", err, out)
	}
	var last string
	defer func() {
		if t.Failed() {
			for _, q := range []string{"/api/v1/targets", "/api/v1/query?query=aigcwatch_delivery_incidents_total", "/api/v1/rules"} {
				if resp, err := http.Get(prom + q); err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					t.Logf("%s: %s", q, b)
				}
			}
			t.Logf("last alerts: %s", last)
		}
	}()
	waitFor(t, "AigcwatchIncidentsParked to fire", 60*time.Second, func() bool {
		resp, err := http.Get(prom + "/api/v1/alerts")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		last = string(b)
		return strings.Contains(last, `"alertname":"AigcwatchIncidentsParked"`) && strings.Contains(last, `"receiver":"refuser"`) && strings.Contains(last, `"state":"firing"`)
	})
	t.Logf("alerts: %s", last)
}

// TestDeliverTwoProcessesOneKilled: two `aigcwatch deliver` processes (each with its own
// state, as on two machines) share the receiver's consumer group; one is killed with
// SIGKILL mid-way and its partitions move to the other after the session timeout. Every
// incident arrives. The duplicates the hand-over causes are reported: with dedup stores per
// process, and with the delivered ids shared through a compacted topic (--delivered-topic).
func TestDeliverTwoProcessesOneKilled(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) { twoProcessesOneKilled(t, shared) })
	}
}

func twoProcessesOneKilled(t *testing.T, shared bool) {
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	evs := realIncidents(t, bin, 4)
	topic := kafkatest.CreateTopic(t, addr, "incidents", 6)
	parking := kafkatest.CreateTopic(t, addr, "parked", 1)
	want := produceEvents(t, addr, topic, evs)
	rcv := newTestReceiver(t, false)
	rcv.delay = 40 * time.Millisecond // slow enough that the kill lands in the middle of delivering
	dir := t.TempDir()
	routes := writeRoutes(t, dir, fmt.Sprintf("receivers: [{name: regulator, url: %q, secret_file: r.whsec, max_attempts: 100000, backoff_min: 50ms, backoff_max: 200ms}]\nroute: {receiver: regulator, group_wait: 100ms, group_interval: 100ms}\n", rcv.srv.URL))
	prefix := kafkatest.Name(t, "deliver")
	var extra []string
	if shared {
		extra = []string{"--delivered-topic", kafkatest.CreateTopic(t, addr, "delivered", 3)}
	}
	args := func(state string) []string {
		return append([]string{"deliver", "--routes", routes, "--brokers", addr, "--topic", topic, "--parking-topic", parking,
			"--group-prefix", prefix, "--state", filepath.Join(dir, state)}, extra...)
	}
	a := startCmd(t, "deliver-a", bin, args("a.db")...)
	b := startCmd(t, "deliver-b", bin, args("b.db")...)
	// Both hold incidents while the receiver is down; it comes back, and a is killed mid-way.
	waitFor(t, "attempts from both", 60*time.Second, func() bool { _, d, _, _ := rcv.state(); return d >= 10 })
	rcv.setUp(true)
	waitFor(t, "the first deliveries", 60*time.Second, func() bool { _, _, _, u := rcv.state(); return u > 0 })
	a.kill9(t)
	waitFor(t, "every incident after the hand-over", 2*time.Minute, func() bool { _, _, _, u := rcv.state(); return u >= len(want) })
	time.Sleep(2 * time.Second)
	b.cmd.Process.Signal(syscall.SIGTERM)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for id := range want {
		if rcv.ids[id] == 0 {
			t.Errorf("incident %s never arrived", id)
		}
	}
	if len(rcv.ids) != len(want) {
		t.Errorf("%d distinct, want %d", len(rcv.ids), len(want))
	}
	dups := rcv.raw - len(rcv.ids)
	t.Logf("%d incidents, all arrived; raw deliveries %d (%d duplicates from the hand-over, dropped by the receiver's dedup)", len(want), rcv.raw, dups)
	if shared {
		// With shared delivered ids, what is sent again is at most the notification the
		// killed process had in flight: the receiver took it, the sender never learnt.
		groups := map[string]int{}
		largest := 0
		for _, ev := range evs {
			s, _ := incident.Summarize(ev)
			groups[s.Provider+"\x00"+s.Rule]++
			largest = max(largest, groups[s.Provider+"\x00"+s.Rule])
		}
		if dups > largest {
			t.Errorf("%d duplicates with shared delivered ids, more than one notification in flight (at most %d incidents)", dups, largest)
		}
	}
}
