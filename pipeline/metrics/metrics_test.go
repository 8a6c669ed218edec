package metrics_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
)

func build(t testing.TB, opt metrics.Options) (*pipeline.Processor, *metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, opt)
	if err != nil {
		t.Fatal(err)
	}
	p.SetObserver(m.Observer())
	m.SetRuleset(p.Engine())
	return p, m, reg
}

func scanFiles(t testing.TB, p *pipeline.Processor, files ...string) pipeline.Summary {
	t.Helper()
	var sum pipeline.Summary
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		err = p.Scan(context.Background(), in, pipeline.ScanOptions{Source: f, Verdicts: io.Discard, DLQ: io.Discard}, &sum)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return sum
}

// sums gathers reg and returns, per metric name, the sum of its samples by the value of
// label (or "" for the total), for counters and gauges.
func sums(t testing.TB, reg prometheus.Gatherer, name, label string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			k := ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					k = lp.GetValue()
				}
			}
			out[k] += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return out
}

func total(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// TestCountsAgreeWithSummary judges the sample stream and the poison file and checks
// every counter against the scan's own summary, counted independently.
func TestCountsAgreeWithSummary(t *testing.T) {
	p, _, reg := build(t, metrics.Options{})
	sum := scanFiles(t, p, "../../examples/stream.jsonl", "../../examples/poison.jsonl")
	if sum.Records < 400 || sum.Rejected == 0 {
		t.Fatalf("sample stream: %d records, %d rejected", sum.Records, sum.Rejected)
	}
	if got := total(sums(t, reg, "aigcwatch_records_judged_total", "")); got != float64(sum.Records) {
		t.Errorf("records judged %v, summary %d", got, sum.Records)
	}
	dec := sums(t, reg, "aigcwatch_records_judged_total", "decision")
	for i, name := range []string{"allow", "label", "review", "block"} {
		if dec[name] != float64(sum.Decisions[i]) {
			t.Errorf("decision %s: %v, summary %d", name, dec[name], sum.Decisions[i])
		}
	}
	dl := sums(t, reg, "aigcwatch_dead_letters_total", "reason")
	for reason, n := range sum.Rejects {
		if dl[reason] != float64(n) {
			t.Errorf("dead letters %s: %v, summary %d", reason, dl[reason], n)
		}
	}
	if total(dl) != float64(sum.Rejected) {
		t.Errorf("dead letters %v, summary %d", total(dl), sum.Rejected)
	}
	cat := sums(t, reg, "aigcwatch_findings_total", "category")
	for c, n := range sum.ByCategory {
		if cat[c] != float64(n) {
			t.Errorf("findings %s: %v, summary %d", c, cat[c], n)
		}
	}
	fired := sums(t, reg, "aigcwatch_rules_fired_total", "rule")
	for r, n := range sum.RulesFired {
		if fired[r] != float64(n) {
			t.Errorf("rule %s fired %v, summary %d", r, fired[r], n)
		}
	}
	if got := total(sums(t, reg, "aigcwatch_incidents_total", "")); got != float64(sum.Incidents) || got == 0 {
		t.Errorf("incidents %v, summary %d", got, sum.Incidents)
	}
	if got := total(sums(t, reg, "aigcwatch_provider_incidents_total", "")); got != float64(sum.Incidents) {
		t.Errorf("provider incidents %v, summary %d", got, sum.Incidents)
	}
	prov := sums(t, reg, "aigcwatch_provider_records_total", "provider")
	if total(prov) != float64(sum.Records) {
		t.Errorf("provider records %v, summary %d", total(prov), sum.Records)
	}
	// The sample's biggest providers send more than AdmitAfter records: they are named.
	for _, name := range []string{"shenlan-model", "qingshan-vision", metrics.UnknownProvider} {
		if prov[name] == 0 {
			t.Errorf("provider %s has no records: %v", name, prov)
		}
	}
	if prov[metrics.Other] == 0 {
		t.Errorf("small providers are not counted as other: %v", prov)
	}
	jur := sums(t, reg, "aigcwatch_records_judged_total", "jurisdiction")
	for _, j := range []string{"CN", "EU", "US", "US-CA", "UK", metrics.Other} {
		if jur[j] == 0 {
			t.Errorf("jurisdiction %s: no records: %v", j, jur)
		}
	}
	if got := total(sums(t, reg, "aigcwatch_provider_unlabeled_records_total", "")); got == 0 {
		t.Error("no unlabeled-AIGC records counted in the sample stream")
	}
	if got := total(sums(t, reg, "aigcwatch_provider_deepfake_records_total", "")); got == 0 {
		t.Error("no deepfake records counted in the sample stream")
	}
	unhandled := sums(t, reg, "aigcwatch_findings_unhandled_total", "category")
	if total(unhandled) == 0 || total(unhandled) >= float64(sum.Findings) {
		t.Errorf("unhandled findings %v of %d", total(unhandled), sum.Findings)
	}
	for c, n := range sum.Unacted {
		if unhandled[c] != float64(n) {
			t.Errorf("unhandled %s: %v, summary %d", c, unhandled[c], n)
		}
	}
	problems := sums(t, reg, "aigcwatch_verdict_problems_total", "reason")
	for k, n := range sum.Problems { // detector/reason
		_, reason, _ := strings.Cut(k, "/")
		if problems[reason] < float64(n) {
			t.Errorf("verdict problems %s: %v, summary %d", k, problems[reason], n)
		}
	}
	if problems["unknown_jurisdiction"] == 0 {
		t.Errorf("the sample stream's unknown jurisdictions (BR, JP) are not counted: %v", problems)
	}
	if got := sums(t, reg, "aigcwatch_detector_seconds_total", "detector"); got["lexicon"] <= 0 || got["label"] <= 0 {
		t.Errorf("detector seconds: %v", got)
	}
	if n := testutil.CollectAndCount(reg, "aigcwatch_judge_duration_seconds"); n != 1 {
		t.Errorf("latency histogram: %d series", n)
	}
	if got := sums(t, reg, "aigcwatch_ruleset_info", "checksum"); got[p.Engine().Info().Checksum] != 1 {
		t.Errorf("ruleset info %v", got)
	}
}

// TestProviderLabelIsBounded sends 10,000 distinct providers (and a few heavy ones)
// through the pipeline: every per-provider metric keeps at most TopProviders+1 provider
// values, the heavy providers are named, and nothing is lost.
func TestProviderLabelIsBounded(t *testing.T) {
	const top = 50
	p, _, reg := build(t, metrics.Options{TopProviders: top})
	var in bytes.Buffer
	n := 0
	line := func(provider string) {
		n++
		fmt.Fprintf(&in, `{"id":"r%d","jurisdiction":"CN","provider":%q,"modality":"text","declared_ai":true,"text":"AI生成 hello %d"}`+"\n", n, provider, n)
	}
	for i := range 10000 {
		line(fmt.Sprintf("tail-%05d", i))
		if i%50 == 0 {
			for h := range 40 {
				line(fmt.Sprintf("heavy-%02d", h))
			}
		}
	}
	var sum pipeline.Summary
	if err := p.Scan(context.Background(), &in, pipeline.ScanOptions{Verdicts: io.Discard, DLQ: io.Discard}, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Records != int64(n) {
		t.Fatalf("judged %d of %d", sum.Records, n)
	}
	for _, name := range []string{"aigcwatch_provider_records_total", "aigcwatch_provider_unlabeled_records_total",
		"aigcwatch_provider_deepfake_records_total", "aigcwatch_provider_incidents_total", "aigcwatch_provider_rules_fired_total"} {
		vals := sums(t, reg, name, "provider")
		if len(vals) > top+1 {
			t.Errorf("%s: %d provider values, want at most %d", name, len(vals), top+1)
		}
	}
	prov := sums(t, reg, "aigcwatch_provider_records_total", "provider")
	if total(prov) != float64(n) {
		t.Errorf("provider records sum %v, want %d", total(prov), n)
	}
	for h := range 40 {
		if name := fmt.Sprintf("heavy-%02d", h); prov[name] == 0 {
			t.Errorf("heavy provider %s not named", name)
		}
	}
	tails := 0
	for k := range prov {
		if strings.HasPrefix(k, "tail-") {
			tails++
		}
	}
	if tails > 0 {
		t.Errorf("%d one-record providers took a slot", tails)
	}
}

// TestNoAllocationsPerRecord: judging allocates the same with metrics on and off.
func TestNoAllocationsPerRecord(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	raw := []byte(`{"id":"a1","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","provider":"provider-a","role":"provider","account":"acct-1","modality":"text","text":"兼职刷单返利，日赚五百，联系客服把钱转入安全账户转账即可。"}`)
	allocs := func(on bool) float64 {
		p, err := pipeline.Build(pipeline.DefaultConfig)
		if err != nil {
			t.Fatal(err)
		}
		if on {
			m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{AdmitAfter: 1, DetectorSample: 1})
			if err != nil {
				t.Fatal(err)
			}
			p.SetObserver(m.Observer())
			m.SetRuleset(p.Engine())
		}
		w := p.NewWorker()
		for range 20 { // warm up: slabs, admission
			if j, err := w.Judge(context.Background(), raw); err != nil || j.Reject != nil || len(j.Verdict.Rules) == 0 {
				t.Fatalf("%v %v", err, j.Reject)
			}
		}
		return testing.AllocsPerRun(200, func() { w.Judge(context.Background(), raw) })
	}
	off, on := allocs(false), allocs(true)
	t.Logf("allocations per record: off %v, on %v", off, on)
	if on > off {
		t.Errorf("allocations per record: %v with metrics, %v without", on, off)
	}
}

func TestJurisdictionLabels(t *testing.T) {
	p, _, reg := build(t, metrics.Options{})
	w := p.NewWorker()
	for _, j := range []string{"CN", "FR", "US-NY", "US-CA", "GB", "BR", "JP", ""} {
		raw := fmt.Sprintf(`{"id":"j-%s","jurisdiction":%q,"provider":"p","modality":"text","text":"hello"}`, j, j)
		if j == "" {
			raw = `{"id":"j-none","provider":"p","modality":"text","text":"hello"}`
		}
		if jj, err := w.Judge(context.Background(), []byte(raw)); err != nil || jj.Reject != nil {
			t.Fatalf("%s: %v %v", j, err, jj.Reject)
		}
	}
	got := sums(t, reg, "aigcwatch_records_judged_total", "jurisdiction")
	want := map[string]float64{"CN": 2, "EU": 1, "US": 1, "US-CA": 1, "UK": 1, "other": 2} // "" → default CN
	for k, v := range want {
		if got[k] != v {
			t.Errorf("jurisdiction %s: %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

func TestReloadMetrics(t *testing.T) {
	p, m, reg := build(t, metrics.Options{})
	hook := m.ReloadHook(p)
	hook(false, "")
	if v := testutil.ToFloat64(gaugeOf(t, reg, "aigcwatch_config_last_reload_successful")); v != 0 {
		t.Errorf("after a failed reload: last_reload_successful %v", v)
	}
	hook(true, p.Engine().Info().Checksum)
	if v := testutil.ToFloat64(gaugeOf(t, reg, "aigcwatch_config_last_reload_successful")); v != 1 {
		t.Errorf("after a reload: last_reload_successful %v", v)
	}
	r := sums(t, reg, "aigcwatch_config_reloads_total", "result")
	if r["success"] != 1 || r["failure"] != 1 {
		t.Errorf("reloads %v", r)
	}
}

// gaugeOf returns a collector of the single-series metric name from reg.
func gaugeOf(t *testing.T, reg prometheus.Gatherer, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x"}, func() float64 { return mf.GetMetric()[0].GetGauge().GetValue() })
		}
	}
	t.Fatalf("no single-series metric %s", name)
	return nil
}

func TestOpsHandler(t *testing.T) {
	_, _, reg := build(t, metrics.Options{Runtime: true, Version: "v-test"})
	var notReady error = fmt.Errorf("no partitions assigned yet")
	srv := httptest.NewServer(metrics.OpsHandler(reg, func() error { return notReady }))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "no partitions") {
		t.Errorf("/readyz before ready: %d %q", code, body)
	}
	notReady = nil
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz when ready: %d %q", code, body)
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{`aigcwatch_build_info{goversion="go`, `version="v-test"`, "go_goroutines", "process_cpu_seconds_total",
		`aigcwatch_records_judged_total{decision="block",jurisdiction="CN"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestWriteFile writes the textfile-collector form: parseable, complete, no Go runtime
// metrics, no temporary file left, and clean for promtool when it is installed.
func TestWriteFile(t *testing.T) {
	p, _, reg := build(t, metrics.Options{})
	scanFiles(t, p, "../../examples/stream.jsonl")
	path := filepath.Join(t.TempDir(), "aigcwatch.prom")
	if err := metrics.WriteFile(reg, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not parseable: %v", err)
	}
	if _, ok := fams["go_goroutines"]; ok {
		t.Error("textfile has Go runtime metrics (node_exporter exports its own)")
	}
	var judged float64
	for _, m := range fams["aigcwatch_records_judged_total"].GetMetric() {
		judged += m.GetCounter().GetValue()
	}
	if judged < 400 {
		t.Errorf("records judged in file: %v", judged)
	}
	if fams["aigcwatch_judge_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM {
		t.Error("no latency histogram in file")
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the file", len(ents))
	}
	if err := metrics.WriteFile(reg, filepath.Join(t.TempDir(), "missing", "x.prom")); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Log("promtool not installed: skipping promtool check metrics (scripts/deps.sh installs it)")
		return
	}
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestWrappedDetectorsStayReachable: the timing wrapper must not hide the fingerprint
// detector from Processor.FingerprintDetector (live bank additions, auto-bank counters).
func TestWrappedDetectorsStayReachable(t *testing.T) {
	cfg := pipeline.DefaultConfig
	cfg.AutoBankLabeled = true
	p, err := pipeline.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.SetObserver(m.Observer())
	if p.FingerprintDetector() == nil {
		t.Fatal("FingerprintDetector is nil once the detectors are wrapped")
	}
	reg := prometheus.NewPedanticRegistry()
	if err := metrics.RegisterAutoBank(reg, p); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "aigcwatch_autobank_added_total", "aigcwatch_autobank_duplicate_total"); n != 2 {
		t.Errorf("auto-bank series: %d, want 2", n)
	}
	p.SetDetector(p.FingerprintDetector()) // a swap wraps again, and still finds it
	if p.FingerprintDetector() == nil {
		t.Fatal("FingerprintDetector is nil after a swap")
	}
}
