package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/pipeline"
)

// RegisterAutoBank registers the auto-banking counters of p's fingerprint detector
// (aigcwatch_autobank_*_total: what `auto_bank_labeled` added to the labeled_ai bank and
// why it did not). They are read from the current detector at each scrape; a reload builds
// a new detector, whose counters start again at zero (a counter reset to Prometheus).
func RegisterAutoBank(reg prometheus.Registerer, p *pipeline.Processor) error {
	if reg == nil || p == nil {
		return errors.New("metrics: nil registerer or processor")
	}
	return reg.Register(autoBankCollector{p})
}

var autoBankDescs = [...]*prometheus.Desc{
	prometheus.NewDesc("aigcwatch_autobank_added_total", "PDQ hashes of validly labeled images added to the labeled_ai bank.", nil, nil),
	prometheus.NewDesc("aigcwatch_autobank_duplicate_total", "Hashes not added: already within the threshold of an entry.", nil, nil),
	prometheus.NewDesc("aigcwatch_autobank_full_total", "Hashes not added: the live-addition bound was reached.", nil, nil),
	prometheus.NewDesc("aigcwatch_autobank_failed_total", "Hashes not added for another reason (no bank loaded).", nil, nil),
}

type autoBankCollector struct{ p *pipeline.Processor }

func (c autoBankCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range autoBankDescs {
		ch <- d
	}
}

func (c autoBankCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.p.FingerprintDetector()
	if d == nil {
		return
	}
	s := d.AutoBank()
	for i, v := range []int64{s.Added.Load(), s.Duplicate.Load(), s.Full.Load(), s.Failed.Load()} {
		ch <- prometheus.MustNewConstMetric(autoBankDescs[i], prometheus.CounterValue, float64(v))
	}
}
