package engine_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
)

// TestObserverAndOnReload: an Engine built with an observer reports every Check (and every
// rejected record) to it, and tells OnReload of each reload.
func TestObserverAndOnReload(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var reloads []bool
	eng, err := engine.New(context.Background(), engine.Config{Observer: m.Observer(),
		OnReload: func(ok bool, _ string) { reloads = append(reloads, ok) }})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	for range 3 {
		if _, err := eng.CheckJSON(ctx, []byte(`{"id":"a","jurisdiction":"CN","modality":"text","text":"兼职刷单返利，日赚五百"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eng.CheckJSON(ctx, []byte(`{"id":"b","text":7}`)); err == nil {
		t.Fatal("a wrong type was accepted")
	}
	if err := eng.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(counter(t, reg, "aigcwatch_records_judged_total", "review")); got != 3 {
		t.Errorf("records judged (review) %v, want 3", got)
	}
	if got := testutil.ToFloat64(counter(t, reg, "aigcwatch_dead_letters_total", "wrong_type")); got != 1 {
		t.Errorf("dead letters (wrong_type) %v, want 1", got)
	}
	if len(reloads) != 1 || !reloads[0] {
		t.Errorf("OnReload calls %v, want [true]", reloads)
	}
}

// counter sums the samples of name whose labels include value.
func counter(t *testing.T, reg prometheus.Gatherer, name, value string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetValue() == value {
					sum += mt.GetCounter().GetValue()
					break
				}
			}
		}
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sum"}, func() float64 { return sum })
}
