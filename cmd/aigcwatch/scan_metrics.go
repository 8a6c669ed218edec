package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
)

// scanMetrics are the metrics of one `scan --metrics-file` run: the judging metrics plus
// the batch-job gauges node_exporter's textfile convention expects (when it last ran,
// whether it succeeded, how long it took). No Go runtime metrics: node_exporter has its own.
type scanMetrics struct {
	m     *metrics.Metrics
	reg   *prometheus.Registry
	start time.Time
	last  prometheus.Gauge
	ok    prometheus.Gauge
	dur   prometheus.Gauge
}

func newScanMetrics(p *pipeline.Processor) (*scanMetrics, error) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Version: version})
	if err != nil {
		return nil, err
	}
	p.SetObserver(m.Observer())
	m.SetRuleset(p.Engine())
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: metrics.Namespace, Subsystem: "scan", Name: name, Help: help})
	}
	s := &scanMetrics{m: m, reg: reg, start: time.Now(),
		last: g("last_run_timestamp_seconds", "When the scan that wrote this file ended."),
		ok:   g("success", "Whether the scan that wrote this file succeeded (1) or failed (0)."),
		dur:  g("duration_seconds", "How long the scan that wrote this file took."),
	}
	for _, c := range []prometheus.Collector{s.last, s.ok, s.dur} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// enforcement adds the providers' enforcement-level gauges, read from st when the file
// is written.
func (s *scanMetrics) enforcement(st *enforce.State) error {
	return s.m.RegisterEnforcement(s.reg, st)
}

func (s *scanMetrics) write(path string, ok bool) error {
	now := time.Now()
	s.last.Set(float64(now.UnixNano()) / 1e9)
	s.dur.Set(now.Sub(s.start).Seconds())
	if ok {
		s.ok.Set(1)
	}
	return metrics.WriteFile(s.reg, path)
}
