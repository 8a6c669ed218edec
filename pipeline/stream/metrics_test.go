package stream_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// TestRegisterMetrics: the runner's and the banks reader's collectors describe and collect
// what docs/observability.md lists, at zero before Run, and the runner is not ready before
// it joined a group. (Their values under load are checked by cmd/aigcwatch's
// TestObservabilityEndToEnd on the real broker.)
func TestRegisterMetrics(t *testing.T) {
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg := stream.DefaultConfig
	cfg.Pipeline.BanksTopic = "banks"
	r, err := stream.New(cfg, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Ready(); err == nil || !strings.Contains(err.Error(), "generation") {
		t.Errorf("Ready before Run: %v", err)
	}
	b, err := stream.NewBanks(cfg, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := r.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if err := b.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	cfg.Pipeline.CampaignTopic, cfg.Pipeline.CampaignAccounts = "campaigns", 5
	c, err := stream.NewCampaigns(cfg, "test/1", nil)
	if err != nil || c == nil {
		t.Fatalf("campaigns: %v %v", c, err)
	}
	if err := c.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterMetrics(reg); err == nil {
		t.Error("registering twice did not fail")
	}
	for name, want := range map[string]int{
		"aigcwatch_kafka_acked_total": 1, "aigcwatch_kafka_commit_errors_total": 1, "aigcwatch_kafka_generations_total": 1,
		"aigcwatch_kafka_in_flight_records": 1, "aigcwatch_kafka_max_in_flight_records": 1, "aigcwatch_kafka_assigned_partitions": 1,
		"aigcwatch_kafka_consumer_lag":               0, // no partition assigned
		"aigcwatch_kafka_produce_to_verdict_seconds": 1, "aigcwatch_banks_topic_added_total": 1, "aigcwatch_banks_topic_malformed_total": 1,
		"aigcwatch_incidents_delivered_total": 1, "aigcwatch_incident_delivery_errors_total": 1,
		"aigcwatch_campaign_observations_dropped_total": 1, "aigcwatch_campaigns_found_total": 1,
		"aigcwatch_campaign_assignments_read_total": 1, "aigcwatch_campaign_partitions": 1,
	} {
		if n := testutil.CollectAndCount(reg, name); n != want {
			t.Errorf("%s: %d series, want %d", name, n, want)
		}
	}
	lint, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lint {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	if v := testutil.ToFloat64(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x"}, func() float64 {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "aigcwatch_kafka_max_in_flight_records" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		return -1
	})); v != float64(cfg.MaxInFlight) {
		t.Errorf("max in flight %v, want %d", v, cfg.MaxInFlight)
	}
}
