package stream

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// RegisterMetrics registers the Kafka runtime's metrics on reg: the Stats counters,
// in-flight records, assigned partitions, consumer lag per partition and the
// produce-to-verdict latency (Kafka message timestamp to outputs acknowledged). Judging
// metrics (decisions, findings, dead letters by reason) are package pipeline/metrics'.
// Call it before Run.
func (r *Runner) RegisterMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return errors.New("stream: nil registerer")
	}
	r.p2v = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "aigcwatch", Subsystem: "kafka", Name: "produce_to_verdict_seconds",
		Help:    "Time from an input record's Kafka timestamp to its outputs being acknowledged by the broker.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
	})
	if err := reg.Register(r.p2v); err != nil {
		return err
	}
	return reg.Register(&runnerCollector{r: r})
}

// Ready says whether the runner is working: it joined the group and holds a generation
// (partitions assigned, possibly none when there are more members than partitions).
func (r *Runner) Ready() error {
	r.partsMu.Lock()
	defer r.partsMu.Unlock()
	if !r.inGeneration {
		return errors.New("not in a consumer group generation (joining or rebalancing)")
	}
	return nil
}

func (r *Runner) observeAcked(times []time.Time) {
	now := time.Now()
	for _, t := range times {
		if !t.IsZero() {
			r.p2v.Observe(max(now.Sub(t).Seconds(), 0))
		}
	}
}

// setParts records the partitions of the current generation (nil: none, out of a
// generation), for lag and readiness.
func (r *Runner) setParts(parts []*partition, in bool) {
	r.partsMu.Lock()
	r.parts, r.inGeneration = parts, in
	r.partsMu.Unlock()
}

var (
	descCounters = map[string]*prometheus.Desc{}
	statsHelp    = []struct{ name, help string }{
		{"fetched_total", "Input messages handed to the judge, re-reads included."},
		{"refetched_total", "Messages read twice in one assignment (after a reconnection) and skipped."},
		{"acked_total", "Input records whose outputs were all acknowledged."},
		{"verdicts_total", "Full verdicts produced to the verdicts topic."},
		{"compact_verdicts_total", "Compact verdicts of allowed records (verdicts_mode compact)."},
		{"unwritten_verdicts_total", "Allowed records whose verdict is not written (verdicts_mode flagged)."},
		{"rulesets_total", "Rulesets written to the rulesets topic."},
		{"incidents_total", "Incidents built (written when an incidents topic is set)."},
		{"write_errors_total", "Failed output write attempts (each retried)."},
		{"fetch_errors_total", "Failed fetches (each retried)."},
		{"judge_errors_total", "Pipeline failures while judging (each retried; the partition waits)."},
		{"commits_total", "Offset commits."},
		{"commit_errors_total", "Failed offset commits (retried at the next interval)."},
		{"generations_total", "Consumer group generations joined: 1 + rebalances."},
		{"group_errors_total", "Failed attempts to join the consumer group."},
		{"abandoned_batches_total", "Batches given up at a drain deadline (their records are judged again: duplicates)."},
	}
	descInFlight    = prometheus.NewDesc("aigcwatch_kafka_in_flight_records", "Records fetched and not yet acknowledged.", nil, nil)
	descMaxInFlight = prometheus.NewDesc("aigcwatch_kafka_max_in_flight_records", "The in-flight bound (max_in_flight): fetching stops there.", nil, nil)
	descAssigned    = prometheus.NewDesc("aigcwatch_kafka_assigned_partitions", "Partitions assigned to this process.", nil, nil)
	descLag         = prometheus.NewDesc("aigcwatch_kafka_consumer_lag", "Records in the partition after the last one whose outputs were acknowledged (log end offset minus that offset).", []string{"topic", "partition"}, nil)
	// Incident delivery, under the same names as `aigcwatch serve`'s (its sinks are file or kafka).
	descIncDelivered = prometheus.NewDesc("aigcwatch_incidents_delivered_total", "Incidents written to the incident sink (file or Kafka topic) and acknowledged.", nil, prometheus.Labels{"sink": "kafka"})
	descIncErrors    = prometheus.NewDesc("aigcwatch_incident_delivery_errors_total", "Failed writes that included incidents (each retried; offsets stay uncommitted until written).", nil, prometheus.Labels{"sink": "kafka"})
	descLagErrors    = prometheus.NewDesc("aigcwatch_kafka_lag_query_errors_total", "Failed queries of partition end offsets for the lag (the lag then uses the last fetched message's high watermark).", nil, nil)
)

func init() {
	for _, s := range statsHelp {
		descCounters[s.name] = prometheus.NewDesc("aigcwatch_kafka_"+s.name, s.help, nil, nil)
	}
}

// runnerCollector reads the Runner's counters and partitions at each scrape.
type runnerCollector struct {
	r *Runner

	mu        sync.Mutex
	lagErrors int64
}

func (c *runnerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descCounters {
		ch <- d
	}
	ch <- descInFlight
	ch <- descMaxInFlight
	ch <- descAssigned
	ch <- descLag
	ch <- descLagErrors
	ch <- descIncDelivered
	ch <- descIncErrors
}

func (c *runnerCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.r
	s := r.Stats()
	vals := map[string]int64{
		"fetched_total": s.Fetched, "refetched_total": s.Refetched, "acked_total": s.Acked, "verdicts_total": s.Verdicts,
		"compact_verdicts_total": s.Compact, "unwritten_verdicts_total": s.Unwritten, "rulesets_total": s.Rulesets,
		"incidents_total": s.Incidents, "write_errors_total": s.WriteErrors, "fetch_errors_total": s.FetchErrors,
		"judge_errors_total": s.JudgeErrors, "commits_total": s.Commits, "commit_errors_total": s.CommitErrors,
		"generations_total": s.Generations, "group_errors_total": s.GroupErrors, "abandoned_batches_total": s.Abandoned,
	}
	for name, d := range descCounters {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(vals[name]))
	}
	if r.cfg.IncidentsTopic != "" {
		ch <- prometheus.MustNewConstMetric(descIncDelivered, prometheus.CounterValue, float64(s.IncidentsDelivered))
		ch <- prometheus.MustNewConstMetric(descIncErrors, prometheus.CounterValue, float64(s.IncidentWriteErrors))
	}
	ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(len(r.tokens)))
	ch <- prometheus.MustNewConstMetric(descMaxInFlight, prometheus.GaugeValue, float64(cap(r.tokens)))
	r.partsMu.Lock()
	parts := r.parts
	r.partsMu.Unlock()
	ch <- prometheus.MustNewConstMetric(descAssigned, prometheus.GaugeValue, float64(len(parts)))
	ends := c.endOffsets(parts)
	for _, p := range parts {
		end, ok := ends[topicPartition{p.topic, p.id}]
		if !ok {
			end = p.hwm.Load()
		}
		pos := p.done.Load()
		if pos < 0 {
			pos = p.start
		}
		lag := max(end-pos, 0)
		if end < 0 || pos < 0 { // nothing known yet (start at "first"/"last" not resolved)
			lag = 0
		}
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(lag), p.topic, strconv.Itoa(p.id))
	}
	c.mu.Lock()
	ch <- prometheus.MustNewConstMetric(descLagErrors, prometheus.CounterValue, float64(c.lagErrors))
	c.mu.Unlock()
}

// endOffsets asks the brokers for the log end offset of each partition (bounded by 2 s), so
// that the lag grows even while fetching is stopped (back-pressure, failing writes).
func (c *runnerCollector) endOffsets(parts []*partition) map[topicPartition]int64 {
	if len(parts) == 0 {
		return nil
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[p.topic] = append(req.Topics[p.topic], kafka.LastOffsetOf(p.id))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cl := &kafka.Client{Addr: kafka.TCP(c.r.cfg.Brokers...), Timeout: 2 * time.Second}
	resp, err := cl.ListOffsets(ctx, req)
	out := map[topicPartition]int64{}
	if err == nil {
		for topic, ps := range resp.Topics {
			for _, po := range ps {
				if po.Error == nil {
					out[topicPartition{topic, po.Partition}] = po.LastOffset
				}
			}
		}
	}
	if err != nil || len(out) < len(parts) {
		c.mu.Lock()
		c.lagErrors++
		c.mu.Unlock()
	}
	return out
}

// RegisterMetrics registers the banks reader's counters on reg
// (aigcwatch_banks_topic_*_total).
func (b *Banks) RegisterMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return errors.New("stream: nil registerer")
	}
	return reg.Register(&banksCollector{b: b})
}

var banksDescs = map[string]*prometheus.Desc{
	"messages":  prometheus.NewDesc("aigcwatch_banks_topic_messages_total", "Messages read from the banks topic.", nil, nil),
	"added":     prometheus.NewDesc("aigcwatch_banks_topic_added_total", "Bank lines from the banks topic added to the fingerprint banks.", nil, nil),
	"malformed": prometheus.NewDesc("aigcwatch_banks_topic_malformed_total", "Banks-topic lines that are not bank lines.", nil, nil),
	"rejected":  prometheus.NewDesc("aigcwatch_banks_topic_rejected_total", "Well-formed banks-topic lines refused (unknown bank).", nil, nil),
	"full":      prometheus.NewDesc("aigcwatch_banks_topic_full_total", "Banks-topic lines refused because the live-addition bound was reached.", nil, nil),
}

type banksCollector struct{ b *Banks }

func (c *banksCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range banksDescs {
		ch <- d
	}
}

func (c *banksCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.b.Stats()
	for name, v := range map[string]int64{"messages": s.Messages, "added": s.Added, "malformed": s.Malformed, "rejected": s.Rejected, "full": s.Full} {
		ch <- prometheus.MustNewConstMetric(banksDescs[name], prometheus.CounterValue, float64(v))
	}
}

// RegisterMetrics registers the campaign topic's counters on reg
// (aigcwatch_campaign_*_total), drops included.
func (c *Campaigns) RegisterMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return errors.New("stream: nil registerer")
	}
	return reg.Register(&campaignsCollector{c: c})
}

var campaignDescs = map[string]*prometheus.Desc{
	"published": prometheus.NewDesc("aigcwatch_campaign_observations_published_total", "Campaign observations queued for the campaign topic.", nil, nil),
	"dropped":   prometheus.NewDesc("aigcwatch_campaign_observations_dropped_total", "Campaign observations dropped because the queue to the topic was full (a best-effort side channel).", nil, nil),
	"sent":      prometheus.NewDesc("aigcwatch_campaign_banded_messages_sent_total", "Banded observation messages written to the campaign topic (one per partition owning bands of an observation).", nil, nil),
	"observed":  prometheus.NewDesc("aigcwatch_campaign_observations_read_total", "Banded observations this instance's campaign partitions assigned to content.", nil, nil),
	"assigned":  prometheus.NewDesc("aigcwatch_campaign_assignments_read_total", "Assignments this instance's campaign partitions counted.", nil, nil),
	"replayed":  prometheus.NewDesc("aigcwatch_campaign_messages_replayed_total", "Campaign-topic messages applied again to rebuild a partition's state after it was assigned.", nil, nil),
	"bad":       prometheus.NewDesc("aigcwatch_campaign_topic_bad_messages_total", "Campaign-topic messages that were neither banded observations nor assignments.", nil, nil),
	"campaigns": prometheus.NewDesc("aigcwatch_campaigns_found_total", "Coordinated campaigns found by this instance's campaign partitions.", nil, nil),
	"written":   prometheus.NewDesc("aigcwatch_campaign_events_written_total", "Campaign events this instance wrote.", nil, nil),
}

var campaignPartitionsDesc = prometheus.NewDesc("aigcwatch_campaign_partitions", "Campaign-topic partitions this instance owns in the campaign consumer group.", nil, nil)

type campaignsCollector struct{ c *Campaigns }

func (c *campaignsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range campaignDescs {
		ch <- d
	}
	ch <- campaignPartitionsDesc
}

func (c *campaignsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.c.Stats()
	for name, v := range map[string]int64{"published": s.Published, "dropped": s.Dropped, "sent": s.Sent, "observed": s.Observed, "assigned": s.Assigned,
		"replayed": s.Replayed, "bad": s.Bad, "campaigns": s.Campaigns, "written": s.Written} {
		ch <- prometheus.MustNewConstMetric(campaignDescs[name], prometheus.CounterValue, float64(v))
	}
	ch <- prometheus.MustNewConstMetric(campaignPartitionsDesc, prometheus.GaugeValue, float64(s.Partitions))
}
