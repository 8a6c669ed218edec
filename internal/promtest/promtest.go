// Package promtest starts a real Prometheus server for integration tests, with the project's
// own script (scripts/prometheus.sh, Debian's prometheus package), on a free loopback port and
// a state directory of the test's own, so it clashes neither with a developer's server on the
// default port nor with other tests; and it queries it through the HTTP API.
//
// Tests using it skip under -short, and skip when Prometheus is not installed unless
// AIGCWATCH_REQUIRE_PROMETHEUS=1 or CI is set, where they fail instead.
package promtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvRequire makes a missing Prometheus a failure rather than a skip.
const EnvRequire = "AIGCWATCH_REQUIRE_PROMETHEUS"

// Server is a running Prometheus.
type Server struct {
	URL    string // http://127.0.0.1:PORT
	Root   string // the repository root (where scripts/ and deploy/ are)
	script string
	env    []string
}

// Root returns the repository root: the nearest directory above the working directory
// with a go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("promtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Require skips (or fails, see EnvRequire) when Prometheus cannot be had.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("promtest: skipped under -short (needs a real Prometheus)")
	}
	for _, b := range []string{"prometheus", "promtool", "curl"} {
		if _, err := exec.LookPath(b); err != nil {
			msg := fmt.Sprintf("promtest: %s not found: run scripts/deps.sh", b)
			if os.Getenv(EnvRequire) == "1" || os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start writes config (a prometheus.yml; rule_files may be absolute paths) to a temporary
// directory and starts Prometheus with it on a free port; it is stopped when the test ends.
func Start(t testing.TB, config string) *Server {
	t.Helper()
	Require(t)
	root := Root(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), Root: root, script: filepath.Join(root, "scripts", "prometheus.sh"),
		env: append(os.Environ(), "PROMETHEUS_PORT="+strconv.Itoa(port), "AIGCWATCH_PROM_STATE="+filepath.Join(dir, "state"))}
	if out, err := s.run("up", cfg); err != nil {
		t.Fatalf("promtest: prometheus.sh up: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := s.run("logs")
			t.Logf("prometheus log:\n%s", lastLines(string(out), 30))
		}
		if out, err := s.run("down"); err != nil {
			t.Errorf("promtest: prometheus.sh down: %v\n%s", err, out)
		}
	})
	return s
}

func (s *Server) run(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.script, args...)
	cmd.Env = s.env
	return cmd.CombinedOutput()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Sample is one series of an instant query result.
type Sample struct {
	Metric map[string]string
	Value  float64
}

// Series is one series of a range query result.
type Series struct {
	Metric map[string]string
	Times  []time.Time
	Values []float64
}

type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

func (r *apiResponse) query() (queryData, error) {
	var d queryData
	err := json.Unmarshal(r.Data, &d)
	return d, err
}

func (s *Server) get(ctx context.Context, path string, q url.Values) (*apiResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("promtest: %s: HTTP %d: %w", path, resp.StatusCode, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("promtest: %s: %s: %s", path, r.ErrorType, r.Error)
	}
	return &r, nil
}

func parseValue(v []any) (time.Time, float64, error) {
	if len(v) != 2 {
		return time.Time{}, 0, errors.New("promtest: malformed sample")
	}
	ts, _ := v[0].(float64)
	str, _ := v[1].(string)
	f, err := strconv.ParseFloat(str, 64)
	return time.Unix(0, int64(ts*1e9)), f, err
}

// Query evaluates expr at time at (zero: now) through /api/v1/query. A scalar result comes
// back as one sample without labels.
func (s *Server) Query(ctx context.Context, expr string, at time.Time) ([]Sample, error) {
	q := url.Values{"query": {expr}}
	if !at.IsZero() {
		q.Set("time", strconv.FormatFloat(float64(at.UnixNano())/1e9, 'f', 3, 64))
	}
	resp, err := s.get(ctx, "/api/v1/query", q)
	if err != nil {
		return nil, err
	}
	r, err := resp.query()
	if err != nil {
		return nil, err
	}
	switch r.ResultType {
	case "vector":
		var raw []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		}
		if err := json.Unmarshal(r.Result, &raw); err != nil {
			return nil, err
		}
		out := make([]Sample, 0, len(raw))
		for _, x := range raw {
			_, v, err := parseValue(x.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Metric: x.Metric, Value: v})
		}
		return out, nil
	case "scalar":
		var raw []any
		if err := json.Unmarshal(r.Result, &raw); err != nil {
			return nil, err
		}
		_, v, err := parseValue(raw)
		return []Sample{{Value: v}}, err
	}
	return nil, fmt.Errorf("promtest: query %q: result type %s", expr, r.ResultType)
}

// QueryRange evaluates expr over [start, end] every step through /api/v1/query_range.
func (s *Server) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]Series, error) {
	q := url.Values{"query": {expr},
		"start": {strconv.FormatFloat(float64(start.UnixNano())/1e9, 'f', 3, 64)},
		"end":   {strconv.FormatFloat(float64(end.UnixNano())/1e9, 'f', 3, 64)},
		"step":  {strconv.FormatFloat(step.Seconds(), 'f', 3, 64)}}
	resp, err := s.get(ctx, "/api/v1/query_range", q)
	if err != nil {
		return nil, err
	}
	r, err := resp.query()
	if err != nil {
		return nil, err
	}
	var raw []struct {
		Metric map[string]string `json:"metric"`
		Values [][]any           `json:"values"`
	}
	if err := json.Unmarshal(r.Result, &raw); err != nil {
		return nil, err
	}
	out := make([]Series, 0, len(raw))
	for _, x := range raw {
		se := Series{Metric: x.Metric}
		for _, v := range x.Values {
			ts, f, err := parseValue(v)
			if err != nil {
				return nil, err
			}
			se.Times = append(se.Times, ts)
			se.Values = append(se.Values, f)
		}
		out = append(out, se)
	}
	return out, nil
}

// LabelValues returns the values of label on series matching match (/api/v1/label/…/values),
// as Grafana's label_values(match, label) variable query does.
func (s *Server) LabelValues(ctx context.Context, label, match string) ([]string, error) {
	r, err := s.get(ctx, "/api/v1/label/"+url.PathEscape(label)+"/values", url.Values{"match[]": {match}})
	if err != nil {
		return nil, err
	}
	var out []string // the label values endpoint puts the list directly in data
	err = json.Unmarshal(r.Data, &out)
	return out, err
}

// Targets returns the health ("up", "down", "unknown") of each active target's scrape URL.
func (s *Server) Targets(ctx context.Context) (map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/targets?state=active", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			ActiveTargets []struct {
				ScrapeURL string `json:"scrapeUrl"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, tg := range r.Data.ActiveTargets {
		out[tg.ScrapeURL] = tg.Health + " " + tg.LastError
	}
	return out, nil
}
