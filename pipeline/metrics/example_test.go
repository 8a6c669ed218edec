package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
)

// The wiring every way in uses (`run` in cmd/aigcwatch/run_metrics.go; `serve` the same):
// a registry of its own, the observer installed before workers exist, the rule set recorded
// (and again on each reload), and the ops handler mounted on the listener.
func Example() {
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		panic(err)
	}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Version: "v1.0.0", Runtime: true})
	if err != nil {
		panic(err)
	}
	p.SetObserver(m.Observer())
	m.SetRuleset(p.Engine())
	reloader := &pipeline.Reloader{P: p, Cfg: pipeline.DefaultConfig}
	reloader.OnReload = m.ReloadHook(p)

	ready := func() error { return nil } // serve: listening; run: Runner.Ready
	srv := httptest.NewServer(metrics.OpsHandler(reg, ready))
	defer srv.Close()

	w := p.NewWorker() // one per goroutine
	w.Judge(context.Background(), []byte(`{"id":"r1","jurisdiction":"CN","provider":"p","modality":"text","text":"兼职刷单返利，日赚五百"}`))

	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, `aigcwatch_records_judged_total{decision="review",jurisdiction="CN"}`) {
			fmt.Println(l)
		}
	}
	// Output: aigcwatch_records_judged_total{decision="review",jurisdiction="CN"} 1
}
