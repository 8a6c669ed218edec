package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/detectors/campaign"
)

// Campaigns shares campaign observations between instances through the campaign topic
// (pipeline.Config.CampaignTopic), so that several `aigcwatch run` instances count the
// same accounts for the same content instead of each guessing from its own partitions.
//
// The judging path hands each record's observation to Publish (the shared campaign
// detector does, campaign.NewShared); Run writes them to the topic and, in a reader outside
// any group, follows the topic's one partition from its first offset, applying every
// observation (its own and the other instances') to a local replica of the campaign state.
// Every instance reads the same observations in the same order, so every replica makes the
// same decisions; the instance whose record brought a piece of content to the threshold
// writes the campaign event (to the incidents topic, keyed by the content's fingerprint),
// so it is written once. The state is rebuilt from the topic after a restart (its
// retention bounds what is replayed; a replayed crossing is written again with the same
// event id). Observations that cannot be queued (the queue is full) are dropped and
// counted: campaign counting is a best-effort side channel and never holds judging back.
type Campaigns struct {
	topic   string
	events  string // incidents topic; "" = campaigns are only logged
	brokers []string
	dialer  *kafka.Dialer
	rs      ReaderSettings
	writer  *kafka.Writer
	origin  string
	replica *campaign.Detector
	log     *slog.Logger
	source  string

	queue chan kafka.Message
	ran   atomic.Bool
	stats campaignCounters
	// OnCampaign, if set before Run, is called for every campaign the replica finds (on
	// every instance), and whether this instance wrote its event.
	OnCampaign func(c campaign.Campaign, o campaign.Observation, wrote bool)
}

type campaignCounters struct {
	published, dropped, observed, bad, campaigns, written atomic.Int64
}

// CampaignStats counts what the campaign log did since it started.
type CampaignStats struct {
	Published, Dropped int64 // observations queued for the topic, and dropped (queue full)
	Observed, Bad      int64 // observations read from the topic, and messages that were not observations
	Campaigns, Written int64 // campaigns found by the replica, and events this instance wrote
}

// Stats returns the counters.
func (c *Campaigns) Stats() CampaignStats {
	return CampaignStats{Published: c.stats.published.Load(), Dropped: c.stats.dropped.Load(), Observed: c.stats.observed.Load(),
		Bad: c.stats.bad.Load(), Campaigns: c.stats.campaigns.Load(), Written: c.stats.written.Load()}
}

// NewCampaigns returns the campaign log for cfg, or nil, nil when cfg has no campaign topic.
// origin names this instance in observations; it must differ between instances (the
// command uses the host name and process id).
func NewCampaigns(cfg Config, origin string, log *slog.Logger) (*Campaigns, error) {
	pc := cfg.Pipeline
	if pc.CampaignTopic == "" {
		return nil, nil
	}
	if pc.CampaignAccounts <= 0 {
		return nil, errors.New("config: campaign_topic needs campaign_accounts")
	}
	if origin == "" {
		return nil, errors.New("stream: campaigns: empty origin")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, t := range append(append([]string{}, cfg.Topics...), cfg.VerdictsTopic, cfg.IncidentsTopic, cfg.DLQTopic, pc.BanksTopic) {
		if t == pc.CampaignTopic {
			return nil, fmt.Errorf("config: campaign_topic: %q is also another topic", t)
		}
	}
	if log == nil {
		log = slog.Default()
	}
	source := pc.IncidentSource
	if source == "" {
		source = "urn:aigcwatch"
	}
	c := &Campaigns{
		topic: pc.CampaignTopic, events: cfg.IncidentsTopic, brokers: cfg.Brokers, origin: origin, source: source,
		dialer:  &kafka.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second, DualStack: true},
		rs:      ReaderSettings{MaxBytes: cfg.FetchMaxBytes, MaxWait: cfg.FetchMaxWait, QueueCapacity: 100},
		writer:  NewWriter(cfg.Brokers, cfg.ClientID, WriterSettings{BatchSize: 1000, BatchTimeout: 20 * time.Millisecond}, kafkaLogger(log, slog.LevelWarn)),
		replica: campaign.New(campaign.Config{Accounts: pc.CampaignAccounts, Window: pc.CampaignWindow}),
		log:     log.With("component", "campaigns", "topic", pc.CampaignTopic),
		queue:   make(chan kafka.Message, 10000),
	}
	return c, nil
}

// Publish queues o for the campaign topic without blocking; it is the shared campaign
// detector's publish function. A full queue drops o (counted).
func (c *Campaigns) Publish(o campaign.Observation) {
	o.Origin = c.origin
	b, err := o.MarshalBinary()
	if err != nil {
		c.stats.dropped.Add(1)
		return
	}
	select {
	case c.queue <- kafka.Message{Topic: c.topic, Value: b}:
		c.stats.published.Add(1)
	default:
		if c.stats.dropped.Add(1) == 1 {
			c.log.Warn("campaign observation queue full: observations are being dropped (counted)")
		}
	}
}

// Run writes queued observations and follows the topic until ctx ends; it returns nil then.
// The topic must have exactly one partition (one order for every instance). Run may be
// called once.
func (c *Campaigns) Run(ctx context.Context) error {
	if !c.ran.CompareAndSwap(false, true) {
		return errors.New("stream: campaigns: Run called twice")
	}
	if err := c.checkTopic(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.write(ctx) }()
	go func() { defer wg.Done(); c.read(ctx) }()
	wg.Wait()
	err := c.writer.Close()
	c.log.Info("stopped", "published", c.stats.published.Load(), "dropped", c.stats.dropped.Load(),
		"observed", c.stats.observed.Load(), "campaigns", c.stats.campaigns.Load(), "written", c.stats.written.Load())
	return err
}

func (c *Campaigns) checkTopic(ctx context.Context) error {
	cl := &kafka.Client{Addr: kafka.TCP(c.brokers...), Timeout: 10 * time.Second}
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	for {
		md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{c.topic}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil {
			if n := len(md.Topics[0].Partitions); n != 1 {
				return fmt.Errorf("config: campaign_topic %q has %d partitions, want 1 (one order for every instance)", c.topic, n)
			}
			return nil
		}
		if err == nil && len(md.Topics) == 1 {
			err = md.Topics[0].Error
		}
		d := backoff.next()
		c.log.Warn("campaign topic not available, retrying", "err", err, "retry_in", d)
		if !sleep(ctx, d) {
			return nil
		}
	}
}

// write sends queued observations in batches until ctx ends; a failed batch is logged
// and counted as dropped (best effort).
func (c *Campaigns) write(ctx context.Context) {
	batch := make([]kafka.Message, 0, 1000)
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-c.queue:
			batch = append(batch[:0], m)
		fill:
			for len(batch) < cap(batch) {
				select {
				case m := <-c.queue:
					batch = append(batch, m)
				default:
					break fill
				}
			}
			if err := c.writer.WriteMessages(ctx, batch...); err != nil && ctx.Err() == nil {
				c.stats.dropped.Add(int64(len(batch)))
				c.log.Warn("writing campaign observations failed, dropped", "n", len(batch), "err", err)
			}
		}
	}
}

// read follows partition 0 from the first offset, applying every observation.
func (c *Campaigns) read(ctx context.Context) {
	var rd *kafka.Reader
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	for rd == nil {
		var err error
		rd, err = NewPartitionReader(c.brokers, c.dialer, c.topic, 0, kafka.FirstOffset, c.rs, kafkaLogger(c.log, slog.LevelDebug))
		if err != nil {
			d := backoff.next()
			c.log.Warn("cannot open the campaign topic, retrying", "err", err, "retry_in", d)
			if !sleep(ctx, d) {
				return
			}
		}
	}
	defer rd.Close()
	for {
		msg, err := rd.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Warn("reading the campaign topic", "err", err)
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		o, err := campaign.UnmarshalObservation(msg.Value)
		if err != nil {
			if c.stats.bad.Add(1) <= 100 {
				c.log.Warn("not a campaign observation, skipped", "offset", msg.Offset, "err", err)
			}
			continue
		}
		c.stats.observed.Add(1)
		found, ok := c.replica.Observe(&o)
		if !ok {
			continue
		}
		c.stats.campaigns.Add(1)
		mine := o.Origin == c.origin
		if mine {
			c.emit(ctx, found, o)
		}
		if c.OnCampaign != nil {
			c.OnCampaign(found, o, mine)
		}
	}
}

// CampaignEvent is the data of a campaign event (CloudEvents type aigcwatch.campaign).
type CampaignEvent struct {
	Category    string    `json:"category"` // global.campaign
	Layer       string    `json:"layer"`    // global
	Fingerprint string    `json:"fingerprint"`
	Accounts    int       `json:"accounts"`
	Estimate    bool      `json:"estimate"`
	Window      string    `json:"window"`
	WindowStart time.Time `json:"window_start"`
	RecordID    string    `json:"record_id"` // the record that reached the threshold
	Detail      string    `json:"detail"`
}

// emit writes the campaign event (one attempt with the writer's retries; a failure is
// logged: the replica has counted it either way).
func (c *Campaigns) emit(ctx context.Context, found campaign.Campaign, o campaign.Observation) {
	ev := map[string]any{
		"specversion": "1.0", "type": "aigcwatch.campaign", "source": c.source,
		"id":   found.ID + "/" + strconv.FormatInt(found.Start.Unix(), 10),
		"time": o.At.UTC().Format(time.RFC3339Nano), "datacontenttype": "application/json", "subject": found.ID,
		"data": CampaignEvent{Category: campaign.Category, Layer: "global", Fingerprint: found.ID, Accounts: found.Accounts, Estimate: found.Estimate,
			Window: found.Window.String(), WindowStart: found.Start.UTC(), RecordID: o.RecordID, Detail: found.Detail()},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		c.log.Error("encoding a campaign event", "err", err)
		return
	}
	c.log.Info("campaign", "fingerprint", found.ID, "accounts", found.Accounts, "window", found.Window.String(), "record", o.RecordID)
	if c.events == "" {
		c.stats.written.Add(1)
		return
	}
	if err := c.writer.WriteMessages(ctx, kafka.Message{Topic: c.events, Key: []byte(found.ID), Value: b,
		Headers: []kafka.Header{{Key: "ce_type", Value: []byte("aigcwatch.campaign")}}}); err != nil {
		c.log.Error("writing a campaign event failed", "fingerprint", found.ID, "err", err)
		return
	}
	c.stats.written.Add(1)
}
