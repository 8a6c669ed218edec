package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

// TestRunConfigPrecedence checks flag > environment > file > default, strict file decoding
// and that every setting has a flag, a variable and a usage line.
func TestRunConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("group: from-file\ntopics: [a, b]\nmax_in_flight: 5000\ncommit_interval: 3s\nrules: /r\nbrokers: [f:1]\n"), 0o644)
	env := map[string]string{"AIGCWATCH_GROUP": "from-env", "AIGCWATCH_MAX_IN_FLIGHT": "7000", "AIGCWATCH_LEXICON": "x.tsv,y.tsv"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var stderr bytes.Buffer
	if _, _, err := loadRunConfig([]string{"-h"}, nil, &stderr); err == nil {
		t.Error("-h: want flag.ErrHelp")
	}
	c, _, err := loadRunConfig([]string{"--config", file, "--group", "from-flag", "--watch=false", "--rules", "/flag-rules"}, getenv, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"group: flag over env and file", c.Group, "from-flag"},
		{"max_in_flight: env over file", c.MaxInFlight, 7000},
		{"commit_interval: file over default", c.CommitInterval, 3 * time.Second},
		{"topics: file list", strings.Join(c.Topics, ","), "a,b"},
		{"brokers: file", strings.Join(c.Brokers, ","), "f:1"},
		{"verdicts_topic: default", c.VerdictsTopic, stream.DefaultConfig.VerdictsTopic},
		{"watch: bool flag", c.Watch, false},
		{"rules: shared flag over file", c.Pipeline.Rules, "/flag-rules"},
		{"lexicon: env list", strings.Join(c.Pipeline.Lexicons, ","), "x.tsv,y.tsv"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}

	os.WriteFile(file, []byte("group: g\nmax_in_fligth: 5\n"), 0o644)
	if _, _, err := loadRunConfig([]string{"--config", file}, getenv, &stderr); err == nil || !strings.Contains(err.Error(), "max_in_fligth") {
		t.Errorf("unknown key: err %v, want it named", err)
	}
	if _, _, err := loadRunConfig([]string{"--max-in-flight", "many"}, getenv, &stderr); err == nil || !strings.Contains(err.Error(), "--max-in-flight") {
		t.Errorf("bad flag value: err %v", err)
	}
	env["AIGCWATCH_SESSION_TIMEOUT"] = "soon"
	if _, _, err := loadRunConfig(nil, getenv, &stderr); err == nil || !strings.Contains(err.Error(), "AIGCWATCH_SESSION_TIMEOUT") {
		t.Errorf("bad env value: err %v", err)
	}
	delete(env, "AIGCWATCH_SESSION_TIMEOUT")
	if _, _, err := loadRunConfig([]string{"--topics", "aigcwatch.verdicts", "--batch-records", "0"}, getenv, &stderr); err == nil ||
		!strings.Contains(err.Error(), "also an output topic") || !strings.Contains(err.Error(), "batch_records") {
		t.Errorf("validation should report every problem: %v", err)
	}

	// Every key: a flag registered, a usage line; and the example config decodes strictly.
	var probe stream.Config
	for _, s := range settings(&probe) {
		if !s.shared && runUsage[s.key] == "" {
			t.Errorf("setting %s has no usage line in runUsage", s.key)
		}
		if !strings.Contains(stderr.String(), "-"+s.flag) {
			t.Errorf("setting %s has no flag --%s in the usage", s.key, s.flag)
		}
	}
	c, _, err = loadRunConfig([]string{"--config", "../../deploy/aigcwatch.yaml"}, func(string) (string, bool) { return "", false }, &stderr)
	if err != nil {
		t.Fatalf("deploy/aigcwatch.yaml: %v", err)
	}
	if c.Group != "aigcwatch" || c.MaxInFlight != stream.DefaultConfig.MaxInFlight {
		t.Errorf("deploy/aigcwatch.yaml disagrees with the defaults: %+v", c)
	}
	var out bytes.Buffer
	if code := runRun(context.Background(), []string{"--print-config", "--group", "pc"}, nil, &out, &stderr); code != exitOK || !strings.Contains(out.String(), "group: pc") {
		t.Errorf("--print-config: exit %d, output %q", code, out.String())
	}
}

var built struct {
	once sync.Once
	bin  string
	err  error
	out  []byte
}

// aigcwatchBinary builds the command into a temporary directory once per test binary.
func aigcwatchBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "aigcwatch-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.bin = filepath.Join(dir, "aigcwatch")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin
}

// syncBuffer collects a process's stderr for assertions while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

func startProc(t *testing.T, name, bin string, env []string, args ...string) *proc {
	t.Helper()
	return launch(t, name, exec.Command(bin, append([]string{"run"}, args...)...), env)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

var assignedRe = regexp.MustCompile(`msg="partitions assigned" .*?partitions="([^"]*)"`)

// assigned returns the partition lists of each "partitions assigned" line so far.
func (p *proc) assigned() []int {
	var out []int
	for _, m := range assignedRe.FindAllStringSubmatch(p.log.String(), -1) {
		out = append(out, len(strings.Fields(m[1])))
	}
	return out
}

type runTopics struct {
	addr, in, verdicts, incidents, dlq, group string
}

func newRunTopics(t *testing.T, addr string, partitions int) runTopics {
	return runTopics{addr: addr, in: kafkatest.CreateTopic(t, addr, "in", partitions),
		verdicts: kafkatest.CreateTopic(t, addr, "verdicts", 3), incidents: kafkatest.CreateTopic(t, addr, "incidents", 3),
		dlq: kafkatest.CreateTopic(t, addr, "dlq", 1), group: kafkatest.Name(t, "group")}
}

// args passes the brokers and topics as flags and the group through the environment,
// so both ways in are exercised.
func (rt runTopics) args() ([]string, []string) {
	return []string{"AIGCWATCH_GROUP=" + rt.group, "AIGCWATCH_LOG_LEVEL=info"},
		[]string{"--brokers", rt.addr, "--topics", rt.in, "--verdicts-topic", rt.verdicts, "--incidents-topic", rt.incidents,
			"--dlq-topic", rt.dlq, "--session-timeout", "6s", "--rebalance-timeout", "10s", "--commit-interval", "200ms",
			"--shutdown-timeout", "15s", "--watch=false", "--metrics-addr", "127.0.0.1:0"}
}

// TestRunKill9MidStreamThenRestart kills the process with SIGKILL while records flow,
// starts it again, and checks that every record has a verdict (duplicates reported).
func TestRunKill9MidStreamThenRestart(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	recs := streamtest.Records(t, "kill9", 40_000, 400)
	rt := newRunTopics(t, addr, 6)
	env, args := rt.args()
	produced := streamtest.ProduceSteadily(t, addr, rt.in, recs, 5000)
	a := startProc(t, "first", bin, env, args...)
	if err := streamtest.Until(2*time.Minute, func() bool {
		lag, err := streamtest.Lag(context.Background(), addr, rt.in, rt.group, 6)
		end, _ := streamtest.EndOffsets(context.Background(), addr, rt.in, 6)
		var total int64
		for _, e := range end {
			total += e
		}
		return err == nil && total-lag >= 8000
	}); err != nil {
		t.Fatalf("no progress before the kill:\n%s", lastLines(a.log.String(), 20))
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	a.done <- nil // for the cleanup
	t.Log("killed the first process with SIGKILL")
	startProc(t, "second", bin, env, args...)
	<-produced
	streamtest.WaitLag(t, addr, rt.in, rt.group, 6, 0, 3*time.Minute)
	dups := streamtest.Check(t, recs, streamtest.ReadAll(t, addr, rt.verdicts, 3))
	t.Logf("duplicates after kill -9: %d (the uncommitted tail, judged again)", dups)
}

// TestRunTwoProcessesOneStops runs two processes in one group on a 6-partition topic,
// reloads one with SIGHUP, stops the other with SIGTERM mid-stream: it leaves within the
// shutdown timeout, the survivor takes its partitions over, and no record is missing or
// judged twice.
func TestRunTwoProcessesOneStops(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	recs := streamtest.Records(t, "two", 50_000, 400)
	rt := newRunTopics(t, addr, 6)
	env, args := rt.args()
	a := startProc(t, "a", bin, env, args...)
	b := startProc(t, "b", bin, env, args...)
	if err := streamtest.Until(time.Minute, func() bool {
		la, lb := a.assigned(), b.assigned()
		return len(la) > 0 && len(lb) > 0 && la[len(la)-1]+lb[len(lb)-1] == 6 && la[len(la)-1] > 0 && lb[len(lb)-1] > 0
	}); err != nil {
		t.Fatalf("the two processes did not share the 6 partitions: a %v, b %v", a.assigned(), b.assigned())
	}
	produced := streamtest.ProduceSteadily(t, addr, rt.in, recs, 6000)
	time.Sleep(2 * time.Second)
	a.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(time.Second)
	stopAt := time.Now()
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.done:
		b.done <- err
		if err != nil {
			t.Errorf("b exited with %v after SIGTERM, want status 0", err)
		}
		t.Logf("b stopped %v after SIGTERM", time.Since(stopAt).Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatal("b did not exit within 20s of SIGTERM (shutdown timeout 15s)")
	}
	if !strings.Contains(b.log.String(), "left consumer group") {
		t.Errorf("b did not leave the group:\n%s", lastLines(b.log.String(), 10))
	}
	if err := streamtest.Until(30*time.Second, func() bool { la := a.assigned(); return la[len(la)-1] == 6 }); err != nil {
		t.Errorf("a did not take all 6 partitions over: %v", a.assigned())
	}
	<-produced
	streamtest.WaitLag(t, addr, rt.in, rt.group, 6, 0, 3*time.Minute)
	if !strings.Contains(a.log.String(), "reloaded rules and detectors") {
		t.Errorf("SIGHUP did not reload:\n%s", lastLines(a.log.String(), 10))
	}
	if dups := streamtest.Check(t, recs, streamtest.ReadAll(t, addr, rt.verdicts, 3)); dups != 0 {
		t.Errorf("%d duplicates after a graceful hand-over and a reload, want 0", dups)
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-a.done; err != nil {
		t.Errorf("a exited with %v after SIGTERM", err)
	}
	a.done <- nil
}

// TestRunBanksTopicAndAutoBank runs the binary with a banks topic and auto-banking: a bank
// line published on the topic makes a near-duplicate image match (stay-down rule), and an
// image that arrived with a valid CN label is remembered, so its stripped re-upload fires
// CN-TAMPER-01-HISTORY.
func TestRunBanksTopicAndAutoBank(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	rt := newRunTopics(t, addr, 1)
	banksTopic := kafkatest.CreateTopic(t, addr, "banks", 1)
	const illegal = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
	streamtest.Produce(t, addr, banksTopic, []streamtest.Record{{ID: "b1", Value: []byte("pdq:" + illegal + "\tknown_illegal\tcase-17\tterror\tgifct\n")}})
	env, args := rt.args()
	p := startProc(t, "banks", bin, env, append(args, "--banks-topic", banksTopic, "--auto-bank-labeled")...)
	if err := streamtest.Until(2*time.Minute, func() bool { return strings.Contains(p.log.String(), "banks topic caught up") }); err != nil {
		t.Fatalf("the banks topic was not read:\n%s", lastLines(p.log.String(), 20))
	}
	// Ready (/readyz) only once the banks are read, and the banks-topic counters say so.
	m := regexp.MustCompile(`msg="serving metrics" component=run addr=(\S+)`).FindStringSubmatch(p.log.String())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", lastLines(p.log.String(), 20))
	}
	if err := streamtest.Until(time.Minute, func() bool { code, _ := httpGet("http://" + m[1] + "/readyz"); return code == 200 }); err != nil {
		code, body := httpGet("http://" + m[1] + "/readyz")
		t.Errorf("/readyz after the banks caught up: %d %s", code, body)
	}
	if n := scrapeValue(t, "http://"+m[1], "aigcwatch_banks_topic_added_total"); n != 1 {
		t.Errorf("aigcwatch_banks_topic_added_total %v, want 1", n)
	}
	const labeled = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
	label := `{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U10000","ProduceID":"img-1","ReservedCode1":"","ContentPropagator":"001191110108MA01KP2T5U10000","PropagateID":"img-1","ReservedCode2":""}}`
	rec := func(id, body string) streamtest.Record {
		return streamtest.Record{ID: id, Value: []byte(`{"id":"` + id + `","time":"2026-10-01T00:00:00Z",` + body + `}`)}
	}
	labelJSON, _ := json.Marshal(label)
	recs := []streamtest.Record{
		rec("near-illegal", `"jurisdiction":"BR","modality":"image","media":{"pdq":"`+illegal[:63]+`f"}`),
		rec("labeled", `"jurisdiction":"CN","role":"platform","modality":"image","media":{"pdq":"`+labeled+`"},"labels":{"implicit":[{"carrier":"xmp:TC260:AIGC","raw":`+string(labelJSON)+`}]}`),
	}
	streamtest.Produce(t, addr, rt.in, recs)
	streamtest.WaitLag(t, addr, rt.in, rt.group, 1, 0, 2*time.Minute)
	stripped := []streamtest.Record{rec("stripped", `"jurisdiction":"CN","role":"platform","modality":"image","media":{"pdq":"`+labeled[:63]+`e"}`)}
	streamtest.Produce(t, addr, rt.in, stripped)
	streamtest.WaitLag(t, addr, rt.in, rt.group, 1, 0, 2*time.Minute)
	got := map[string]string{}
	for _, m := range streamtest.ReadAll(t, addr, rt.verdicts, 3) {
		got[string(m.Key)] = string(m.Value)
	}
	if v := got["near-illegal"]; !strings.Contains(v, `"bank":"known_illegal"`) || !strings.Contains(v, `"id":"GL-HASH-01"`) {
		t.Errorf("a record near a bank line from the topic: %s", v)
	}
	if v := got["stripped"]; !strings.Contains(v, `"category":"hash.labeled_ai"`) || !strings.Contains(v, `"id":"CN-TAMPER-01-HISTORY"`) {
		t.Errorf("the stripped re-upload of a labelled image: %s", v)
	}
}
