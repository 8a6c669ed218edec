package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.yaml.in/yaml/v3"

	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/internal/promtest"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

// TestObservabilityEndToEnd runs the built binary (`aigcwatch run`) on the real broker while
// it judges the sample stream (examples/stream.jsonl and poison.jsonl, in waves), has a real
// Prometheus scrape it with the project's recording and alert rules loaded, and then:
//   - checks the live exposition with promtool check metrics;
//   - evaluates every Grafana panel query and variable query (dashboard variables
//     substituted) and every recording and alert expression through /api/v1/query, and
//     requires each to return a non-empty result (alert conditions are evaluated with their
//     comparisons made `bool`, so that the operands and their joins must exist while the
//     alert itself need not fire);
//   - renders the overview dashboard's main panels from that Prometheus's data to a PNG
//     (to docs/ with AIGCWATCH_WRITE_PNG=1: `make dashboards-png`).
func TestObservabilityEndToEnd(t *testing.T) {
	promtest.Require(t)
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	root := promtest.Root(t)
	maddr := fmt.Sprintf("127.0.0.1:%d", promtest.FreePort(t))
	rulesDir := filepath.Join(root, "deploy", "prometheus", "rules")
	ruleFiles, _ := filepath.Glob(filepath.Join(rulesDir, "*.yml"))
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [%s]\nscrape_configs:\n  - job_name: aigcwatch\n    static_configs:\n      - targets: [%q]\n",
		quoteAll(ruleFiles), maddr)
	prom := promtest.Start(t, cfg)

	rt := newRunTopics(t, addr, 3)
	env, args := rt.args()
	// Auto-banking makes known-content (hash.labeled_ai) matches out of the sample's stripped re-uploads.
	// Enforcement on, for the enforcement panels (its topics are made by run, named after the group).
	kafkatest.DeleteAtCleanup(t, addr, rt.group+".enforcement")
	kafkatest.DeleteAtCleanup(t, addr, rt.group+".enforcement-changelog")
	proc := startProc(t, "observed", bin, env, append(args, "--metrics-addr", maddr, "--auto-bank-labeled", "--enforcement")...)
	base := "http://" + maddr
	if err := streamtest.Until(time.Minute, func() bool { code, _ := httpGet(base + "/readyz"); return code == 200 }); err != nil {
		code, body := httpGet(base + "/readyz")
		t.Fatalf("/readyz never 200: %d %q\n%s", code, body, lastLines(proc.log.String(), 20))
	}
	if code, body := httpGet(base + "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}

	// The sample stream, in waves, so that rates have several points.
	lines := readLines(t, filepath.Join(root, "examples", "stream.jsonl"))
	poison := readLines(t, filepath.Join(root, "examples", "poison.jsonl")) // every line is rejected
	lines = append(lines, poison...)
	waves := 24
	if testing.Verbose() || os.Getenv("AIGCWATCH_WRITE_PNG") == "1" {
		waves = 40 // a longer picture
	}
	start := time.Now()
	w := streamtest.Writer(addr)
	defer w.Close()
	for i := range waves {
		msgs := make([]kafka.Message, len(lines))
		for j, l := range lines {
			msgs[j] = kafka.Message{Topic: rt.in, Key: fmt.Appendf(nil, "w%d-%d", i, j), Value: l}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := w.WriteMessages(ctx, msgs...)
		cancel()
		if err != nil {
			t.Fatalf("producing wave %d: %v", i, err)
		}
		if i == waves/2 {
			proc.cmd.Process.Signal(syscall.SIGHUP) // a reload, for the reload metrics
		}
		time.Sleep(3 * time.Second)
	}
	want := float64(waves * len(lines))
	if err := streamtest.Until(2*time.Minute, func() bool { return scrapeValue(t, base, "aigcwatch_kafka_acked_total") >= want }); err != nil {
		t.Fatalf("acked %v of %v records\n%s", scrapeValue(t, base, "aigcwatch_kafka_acked_total"), want, lastLines(proc.log.String(), 20))
	}
	time.Sleep(4 * time.Second) // a few more scrapes and rule evaluations
	// The exposition agrees with what was produced: every record judged or dead-lettered,
	// each with a produce-to-verdict observation, and nothing left in the partitions.
	judged, dead := scrapeValue(t, base, "aigcwatch_records_judged_total"), scrapeValue(t, base, "aigcwatch_dead_letters_total")
	if judged+dead != want || dead != float64(waves*len(poison)) {
		t.Errorf("judged %v + dead letters %v, want %v records of which %d poison", judged, dead, want, waves*len(poison))
	}
	if n := scrapeValue(t, base, "aigcwatch_kafka_produce_to_verdict_seconds_count"); n != want {
		t.Errorf("produce-to-verdict observations %v, want %v", n, want)
	}
	// Incidents of providers are written by their owner after the enforcement hop.
	_ = streamtest.Until(30*time.Second, func() bool {
		return scrapeValue(t, base, "aigcwatch_incidents_delivered_total") >= scrapeValue(t, base, "aigcwatch_incidents_total")
	})
	if inc, del := scrapeValue(t, base, "aigcwatch_incidents_total"), scrapeValue(t, base, "aigcwatch_incidents_delivered_total"); inc == 0 || del != inc {
		t.Errorf("incidents raised %v, delivered to the incidents topic %v", inc, del)
	}
	if lag := scrapeValue(t, base, "aigcwatch_kafka_consumer_lag"); lag != 0 {
		t.Errorf("consumer lag %v after every record was acknowledged", lag)
	}
	end := time.Now()
	ctx := context.Background()
	tg, err := prom.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for url, h := range tg {
		if !strings.HasPrefix(h, "up") {
			t.Errorf("target %s: %s", url, h)
		}
	}

	t.Run("promtool check metrics", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		req.Header.Set("Accept", "text/plain; version=0.0.4")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cmd := exec.Command("promtool", "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
		for _, want := range []string{"aigcwatch_kafka_consumer_lag{", "aigcwatch_kafka_produce_to_verdict_seconds_bucket", `aigcwatch_config_reloads_total{result="success"} 1`, "aigcwatch_autobank_added_total"} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("exposition lacks %s", want)
			}
		}
	})

	// The provider the drill-down shows: the named one with the most CN records (the queries
	// are evaluated for all jurisdictions and for CN).
	top, err := prom.Query(ctx, `topk(1, sum by (provider) (aigcwatch_provider_records_total{provider!~"other|unknown",jurisdiction="CN"}))`, time.Time{})
	if err != nil || len(top) != 1 {
		t.Fatalf("top provider: %v %v", top, err)
	}
	provider := top[0].Metric["provider"]
	subst := strings.NewReplacer("$__rate_interval", "20s", "$__range", "5m", "$jurisdiction", ".*", "$provider", provider, "$instance", ".*", "${DS}", "")

	t.Run("dashboards", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join(root, "deploy", "grafana", "dashboards", "*.json"))
		if len(files) < 3 {
			t.Fatalf("dashboards: %v", files)
		}
		n := 0
		for _, f := range files {
			for _, q := range dashboardQueries(t, f) {
				n++
				if m := labelValuesRe.FindStringSubmatch(q.expr); m != nil { // a variable query
					vals, err := prom.LabelValues(ctx, m[2], subst.Replace(m[1]))
					if err != nil || len(vals) == 0 {
						t.Errorf("%s: variable %s: label_values returned %v (%v)", filepath.Base(f), q.title, vals, err)
					}
					continue
				}
				for _, expr := range []string{subst.Replace(q.expr), strings.ReplaceAll(subst.Replace(q.expr), `jurisdiction=~".*"`, `jurisdiction=~"CN"`)} {
					res, err := prom.Query(ctx, expr, time.Time{})
					if err != nil || len(res) == 0 {
						t.Errorf("%s: panel %q: %s: empty result (%v)", filepath.Base(f), q.title, expr, err)
					}
				}
			}
		}
		t.Logf("%d dashboard queries evaluated", n)
	})

	t.Run("rules", func(t *testing.T) {
		n := 0
		for _, f := range ruleFiles {
			for _, r := range ruleExprs(t, f) {
				n++
				expr := r.Expr
				if r.Alert != "" {
					expr = boolify(expr)
				}
				res, err := prom.Query(ctx, expr, time.Time{})
				if err != nil || len(res) == 0 {
					t.Errorf("%s %s%s: %s: empty result (%v)", filepath.Base(f), r.Record, r.Alert, expr, err)
				}
				if r.Record != "" { // and as Prometheus evaluated it
					if res, err := prom.Query(ctx, r.Record, time.Time{}); err != nil || len(res) == 0 {
						t.Errorf("recorded series %s: empty (%v)", r.Record, err)
					}
				}
				if r.Alert != "" {
					res, _ := prom.Query(ctx, r.Expr, time.Time{})
					t.Logf("alert %s: %d series firing now", r.Alert, len(res))
				}
			}
		}
		if n < 20 {
			t.Errorf("only %d rules found", n)
		}
	})

	t.Run("png", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "observability-overview.png")
		if os.Getenv("AIGCWATCH_WRITE_PNG") == "1" {
			out = filepath.Join(root, "docs", "observability-overview.png")
		}
		// The panels' own queries, with Grafana's variables as a 1-minute-wide view would set them.
		exprs := map[string]string{}
		for _, q := range dashboardQueries(t, filepath.Join(root, "deploy", "grafana", "dashboards", "overview.json")) {
			exprs[q.title] = strings.NewReplacer("$__rate_interval", "30s", "$jurisdiction", ".*").Replace(q.expr)
		}
		if err := renderOverview(ctx, prom, exprs, start, end, int(want), out); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(out)
		if err != nil || st.Size() < 20_000 {
			t.Fatalf("PNG %s: %v %v", out, st, err)
		}
		t.Logf("wrote %s (%d bytes)", out, st.Size())
	})
}

func quoteAll(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrapeValue sums the samples of an unlabelled-or-labelled metric in the live exposition.
func scrapeValue(t *testing.T, base, name string) float64 {
	_, body := httpGet(base + "/metrics")
	var sum float64
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, name+" ") || strings.HasPrefix(l, name+"{") {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}

func readLines(t *testing.T, path string) [][]byte {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var labelValuesRe = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)

type panelQuery struct{ title, expr string }

// dashboardQueries returns every panel target and query variable of a dashboard JSON file.
func dashboardQueries(t *testing.T, path string) []panelQuery {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var out []panelQuery
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			out = append(out, panelQuery{p.Title, q.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if s, ok := v.Query.(string); ok && v.Type == "query" {
			out = append(out, panelQuery{"$" + v.Name, s})
		}
	}
	return out
}

type ruleDef struct {
	Record string `yaml:"record"`
	Alert  string `yaml:"alert"`
	Expr   string `yaml:"expr"`
}

func ruleExprs(t *testing.T, path string) []ruleDef {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []ruleDef `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var out []ruleDef
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// boolify turns every comparison outside label matchers and strings into a bool comparison
// (`x > 0.05` → `x > bool 0.05`): the expression then returns its operands' series whether
// or not the condition holds.
func boolify(expr string) string {
	var b strings.Builder
	depth, quote := 0, byte(0)
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case quote != 0:
			if c == '\\' && i+1 < len(expr) {
				b.WriteByte(c)
				i++
				c = expr[i]
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			depth--
		case depth == 0 && (c == '>' || c == '<' || c == '=' || c == '!'):
			op := string(c)
			if i+1 < len(expr) && expr[i+1] == '=' {
				op += "="
			}
			if op == "=" || op == "!" { // not a comparison (=~, !~ only occur in matchers)
				break
			}
			b.WriteString(op + " bool")
			i += len(op) - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func TestBoolify(t *testing.T) {
	for in, want := range map[string]string{
		`up{job="a"} == 0`:                         `up{job="a"} == bool 0`,
		`a{x!="y",z=~"w"} > 0.05 and b >= 100`:     `a{x!="y",z=~"w"} > bool 0.05 and b >= bool 100`,
		`rate(x{p!~"a|b"}[1h]) / y != 1`:           `rate(x{p!~"a|b"}[1h]) / y != bool 1`,
		`histogram_quantile(0.9, x) <= 3`:          `histogram_quantile(0.9, x) <= bool 3`,
		`label_replace(x, "a", ">", "b", "<") < 1`: `label_replace(x, "a", ">", "b", "<") < bool 1`,
	} {
		if got := boolify(in); got != want {
			t.Errorf("boolify(%s) = %s, want %s", in, got, want)
		}
	}
}

// sortedKeys is used by the PNG legend to keep series in a stable order.
func sortedKeys(m map[string][]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
