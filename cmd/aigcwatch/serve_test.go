package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/serve"
)

func TestServeConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "serve.yaml")
	if err := os.WriteFile(file, []byte("addr: 127.0.0.1:7000\nmax_in_flight: 10\nmax_batch_records: 20\njurisdiction: EU\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AIGCWATCH_CONFIG": file, "AIGCWATCH_MAX_IN_FLIGHT": "30", "AIGCWATCH_REQUEST_TIMEOUT": "2s"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var stderr bytes.Buffer
	c, _, err := loadServeConfig([]string{"--addr", "127.0.0.1:9000", "--jurisdiction", "UK"}, getenv, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.MaxInFlight != 30 || c.MaxBatchRecords != 20 || c.RequestTimeout != 2*time.Second ||
		c.Pipeline.DefaultJurisdiction != "UK" || c.MaxBatchBytes != serve.DefaultConfig.MaxBatchBytes {
		t.Errorf("flag > env > file > default not kept: %+v", c)
	}
	if err := os.WriteFile(file, []byte("max_in_fligth: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadServeConfig(nil, getenv, &stderr); err == nil || !strings.Contains(err.Error(), "max_in_fligth") {
		t.Errorf("unknown key: %v", err)
	}
	delete(env, "AIGCWATCH_CONFIG")
	if _, _, err := loadServeConfig([]string{"--tls-cert", "c.pem", "--max-batch-records", "0"}, getenv, &stderr); err == nil ||
		!strings.Contains(err.Error(), "tls_key go together") || !strings.Contains(err.Error(), "max_batch_records") {
		t.Errorf("validation should report every problem: %v", err)
	}
	env["AIGCWATCH_RETRY_AFTER"] = "soon"
	if _, _, err := loadServeConfig(nil, getenv, &stderr); err == nil || !strings.Contains(err.Error(), "AIGCWATCH_RETRY_AFTER") {
		t.Errorf("bad env value: %v", err)
	}
	stderr.Reset()
	if _, _, err := loadServeConfig([]string{"-h"}, getenv, &stderr); err == nil {
		t.Fatal("-h parsed")
	}
	c, _, err = loadServeConfig([]string{"--config", "../../deploy/serve.yaml"}, func(string) (string, bool) { return "", false }, &stderr)
	if err != nil {
		t.Fatalf("deploy/serve.yaml: %v", err)
	}
	if c.MaxInFlight != serve.DefaultConfig.MaxInFlight || c.Addr != serve.DefaultConfig.Addr || c.IncidentsFile != serve.DefaultConfig.IncidentsFile {
		t.Errorf("deploy/serve.yaml disagrees with the defaults: %+v", c)
	}
	example, _ := os.ReadFile("../../deploy/serve.yaml")
	var probe serve.Config
	for _, s := range settings(&probe) {
		if s.key != "banks_topic" && !bytes.Contains(example, []byte("\n"+s.key+":")) {
			t.Errorf("deploy/serve.yaml lacks %s", s.key)
		}
		if !s.shared && serveUsage[s.key] == "" {
			t.Errorf("setting %s has no usage line in serveUsage", s.key)
		}
		if !strings.Contains(stderr.String(), "-"+s.flag) {
			t.Errorf("setting %s has no flag --%s in the usage", s.key, s.flag)
		}
	}
}

var latencyField = regexp.MustCompile(`"latency_us":\d+`)

func noLatency(b []byte) string {
	return latencyField.ReplaceAllString(string(bytes.TrimSpace(b)), `"latency_us":0`)
}

// serveProc is a running `aigcwatch serve`.
type serveProc struct {
	*proc
	url string
}

func startServe(t *testing.T, bin string, env []string, args ...string) *serveProc {
	t.Helper()
	p := launch(t, "serve", exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...), env)
	re := regexp.MustCompile(`msg=listening component=serve addr=(\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.log.String()); m != nil {
			return &serveProc{proc: p, url: "http://" + m[1]}
		}
		select {
		case err := <-p.done:
			t.Fatalf("serve exited before listening: %v\n%s", err, p.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not listen within 30s:\n%s", p.log.String())
	return nil
}

func (s *serveProc) post(t *testing.T, path, token, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", s.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// outcome is what any way in says about one input line: a verdict (latency_us zeroed),
// or the reason and field that rejected it.
type outcome struct {
	verdict, reason, field string
}

func (o outcome) String() string {
	if o.verdict != "" {
		return o.verdict
	}
	return "rejected " + o.reason + " at " + o.field
}

// TestServeBinaryScanAndLibraryAgree runs the built binary: the example lines (500 or more)
// (490 records and 14 poison lines) through `aigcwatch serve` one by one and as one JSONL
// batch, through `aigcwatch scan`, and through the engine library give byte-identical
// verdicts bar latency_us, and the same rejection reason and field for each bad line;
// serve stores the same incidents as scan; auth is enforced; SIGHUP reloads; SIGTERM
// stops it cleanly.
func TestServeBinaryScanAndLibraryAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short")
	}
	bin := aigcwatchBinary(t)
	dir := t.TempDir()
	var lines [][]byte
	for _, f := range []string{"../../examples/stream.jsonl", "../../examples/poison.jsonl"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))...)
	}
	if len(lines) < 500 {
		t.Fatalf("%d example lines, want at least 500", len(lines))
	}

	// scan, as a user runs it.
	vFile, dFile, iFile := filepath.Join(dir, "v.jsonl"), filepath.Join(dir, "d.jsonl"), filepath.Join(dir, "i.jsonl")
	all := filepath.Join(dir, "all.jsonl")
	if err := os.WriteFile(all, append(bytes.Join(lines, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "scan", "--quiet", all, "--out", vFile, "--dlq", dFile, "--incidents", iFile).CombinedOutput(); err != nil {
		t.Fatalf("scan: %v\n%s", err, out)
	}
	scanned := make([]outcome, len(lines))
	var dls []struct {
		Line          int
		Reason, Field string
	}
	forLines(t, dFile, func(b []byte) {
		var d struct {
			Line          int
			Reason, Field string
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		dls = append(dls, d)
		scanned[d.Line-1] = outcome{reason: d.Reason, field: d.Field}
	})
	i := 0
	forLines(t, vFile, func(b []byte) {
		for scanned[i].reason != "" {
			i++
		}
		scanned[i] = outcome{verdict: noLatency(b)}
		i++
	})
	if len(dls) != 14 {
		t.Fatalf("scan rejected %d lines, want the 14 poison lines", len(dls))
	}

	// The library.
	eng, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for n, l := range lines {
		v, err := eng.CheckJSON(context.Background(), l)
		var de *record.DecodeError
		var got outcome
		switch {
		case errors.As(err, &de):
			got = outcome{reason: de.Reason, field: de.Field}
		case err != nil:
			t.Fatal(err)
		default:
			got = outcome{verdict: noLatency(v.JSON)}
		}
		if got != scanned[n] {
			t.Fatalf("line %d: library and scan differ:\n%v\n%v", n+1, got, scanned[n])
		}
	}

	// serve, the binary.
	tokens := filepath.Join(dir, "tokens")
	const tok1, tok2 = "first-token-0123456789", "second-token-9876543210"
	if err := os.WriteFile(tokens, []byte("# rotation: both valid\n"+tok1+"\n\n"+tok2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	incFile := filepath.Join(dir, "serve-incidents.jsonl")
	s := startServe(t, bin, []string{"AIGCWATCH_MAX_BATCH_RECORDS=1000"}, "--token-file", tokens, "--incidents-file", incFile, "--log-level", "debug")
	if code, _, body := s.post(t, "/v1/moderate", "", "application/json", lines[0]); code != 401 {
		t.Fatalf("no token: %d %s", code, body)
	}
	if code, _, body := s.post(t, "/v1/moderate", "not-a-token-at-all-xxxx", "application/json", lines[0]); code != 401 {
		t.Fatalf("wrong token: %d %s", code, body)
	}
	problemOutcome := func(b []byte) outcome {
		var p serve.Problem
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		return outcome{reason: p.Reason, field: p.Field}
	}
	for n, l := range lines {
		code, h, body := s.post(t, "/v1/moderate", []string{tok1, tok2}[n%2], "application/json", l)
		var got outcome
		if code == 200 {
			got = outcome{verdict: noLatency(body)}
		} else if ct := h.Get("Content-Type"); ct == "application/problem+json" && code >= 400 && code < 500 {
			got = problemOutcome(body)
		} else {
			t.Fatalf("line %d: %d %s %s", n+1, code, ct, body)
		}
		if got != scanned[n] {
			t.Fatalf("line %d: serve and scan differ:\n%v\n%v", n+1, got, scanned[n])
		}
	}
	code, _, body := s.post(t, "/v1/moderate/batch", tok1, "application/x-ndjson", bytes.Join(lines, []byte("\n")))
	if code != 200 {
		t.Fatalf("batch: %d %s", code, body)
	}
	answers := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
	if len(answers) != len(lines) {
		t.Fatalf("batch: %d answers for %d lines", len(answers), len(lines))
	}
	for n, a := range answers {
		got := outcome{verdict: noLatency(a)}
		if bytes.Contains(a, []byte(`"type":"urn:aigcwatch:problem:`)) {
			got = problemOutcome(a)
		}
		if got != scanned[n] {
			t.Fatalf("batch element %d: serve and scan differ:\n%v\n%v", n, got, scanned[n])
		}
	}

	// Incidents: serve stored each of scan's incidents twice (one pass, one batch).
	var scanIDs, serveIDs []string
	incidentID := func(dst *[]string) func([]byte) {
		return func(b []byte) {
			var ev struct{ ID, Type string }
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Type == enforce.LevelChangedType {
				return // scan's enforcement events (serve has no enforcement state yet)
			}
			*dst = append(*dst, ev.ID)
		}
	}
	forLines(t, iFile, incidentID(&scanIDs))
	if len(scanIDs) == 0 {
		t.Fatal("scan wrote no incidents: the comparison would prove nothing")
	}
	// /metrics: newServeRegistry's collectors and serve's HTTP metrics, no token needed.
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	good := 0
	for _, o := range scanned {
		if o.verdict != "" {
			good++
		}
	}
	for _, want := range []string{
		"go_goroutines ", "process_resident_memory_bytes ",
		fmt.Sprintf(`aigcwatch_http_requests_total{code="2xx",route="moderate"} %d`, good),
		fmt.Sprintf(`aigcwatch_http_records_total{outcome="judged",route="batch"} %d`, good),
		`aigcwatch_http_records_total{outcome="rejected",route="batch"} 14`,
		`aigcwatch_http_requests_total{code="4xx",route="moderate"} 16`, // 14 poison lines, 2 auth failures
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The judging metrics (pipeline/metrics) on the same registry: every line was judged
	// twice (moderate, then batch), the poison lines dead-lettered twice.
	if n := scrapeValue(t, s.url, "aigcwatch_records_judged_total"); n != float64(2*good) {
		t.Errorf("aigcwatch_records_judged_total %v, want %d", n, 2*good)
	}
	if n := scrapeValue(t, s.url, "aigcwatch_dead_letters_total"); n != float64(2*(len(lines)-good)) {
		t.Errorf("aigcwatch_dead_letters_total %v, want %d", n, 2*(len(lines)-good))
	}
	for _, want := range []string{"aigcwatch_ruleset_info{", `aigcwatch_config_last_reload_successful 1`, "aigcwatch_provider_records_total{", "aigcwatch_judge_duration_seconds_bucket"} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Token rotation: drop the first token, add a third, SIGHUP.
	const tok3 = "third-token-5555555555"
	if err := os.WriteFile(tokens, []byte(tok2+"\n"+tok3+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, s.proc, "reloaded rules and detectors")
	waitLog(t, s.proc, "reloaded the token file")
	for tok, want := range map[string]int{tok1: 401, tok2: 200, tok3: 200} {
		if code, _, body := s.post(t, "/v1/moderate", tok, "application/json", lines[0]); code != want {
			t.Errorf("after rotation, token %s…: %d, want %d: %s", tok[:6], code, want, body)
		}
	}
	// Signals go before reading the incidents file: SIGTERM ends with every write done.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of SIGTERM")
	}
	if !strings.Contains(s.log.String(), "msg=stopped") {
		t.Error("no clean stop in the log")
	}
	forLines(t, incFile, incidentID(&serveIDs))
	want := append(slices.Clone(scanIDs), scanIDs...)
	slices.Sort(want)
	slices.Sort(serveIDs)
	if !slices.Equal(serveIDs, want) {
		t.Errorf("serve stored %d incidents, want scan's %d twice", len(serveIDs), len(scanIDs))
	}
	for _, secret := range []string{tok1, tok2, "兼职"} {
		if strings.Contains(s.log.String(), secret) {
			t.Errorf("the serve log contains %q", secret)
		}
	}
	t.Logf("%d lines (%d rejected), %d incidents: serve, scan and the library agree", len(lines), len(dls), len(scanIDs))
}

func forLines(t *testing.T, path string, fn func([]byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		fn(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func waitLog(t *testing.T, p *proc, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.log.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q in the log within 20s", p.name, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeBinaryKafkaIncidents: with --brokers the binary produces incidents to the
// incidents topic before answering; a missing topic stops it at start with a message
// naming the topic. Real broker.
func TestServeBinaryKafkaIncidents(t *testing.T) {
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	topic := kafkatest.CreateTopic(t, addr, "serve-incidents", 2)
	out, err := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--brokers", addr, "--incidents-topic", topic+"-missing").CombinedOutput()
	if err == nil || !strings.Contains(string(out), topic+"-missing") {
		t.Fatalf("serve with a missing incidents topic: %v\n%s", err, out)
	}
	s := startServe(t, bin, nil, "--brokers", addr, "--incidents-topic", topic)
	const rec = `{"id":"kafka-1","provider":"prov-k","jurisdiction":"CN","modality":"text","text":"兼职刷单返利，日赚五百"}`
	if code, _, body := s.post(t, "/v1/moderate", "", "application/json", []byte(rec)); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	msgs := streamtest.ReadAll(t, addr, topic, 2)
	if len(msgs) != 1 || string(msgs[0].Key) != "prov-k" || !strings.Contains(string(msgs[0].Value), `"record_id":"kafka-1"`) {
		t.Fatalf("incidents topic holds %d messages: %+v", len(msgs), msgs)
	}
}
