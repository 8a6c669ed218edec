package stream

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/campaign"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/incident"
)

// Campaigns counts campaigns across instances through the campaign topic
// (pipeline.Config.CampaignTopic), so that several `aigcwatch run` instances count the
// same accounts for the same content instead of each guessing from its own partitions.
// The topic may have any number of partitions; the instances share them in a consumer
// group (Config.Group + ".campaigns"), and each partition's state lives with the instance
// that owns it. docs/layers.md ("Several instances") states the guarantees.
//
// Two kinds of message travel on it, both routed by key modulo the partition count
// (campaign.PartitionOf):
//
//   - Banded observations, keyed by an LSH band key. The judging path hands each record's
//     observation (MinHash signature, account hash, time) to Publish; it is written once to
//     each partition that owns one of its 32 bands, with the mask of those bands. The
//     partition's owner assigns it to the oldest followed content it shares one of those
//     bands with and agrees with (campaign.Detector.Assign), or starts following it, and
//     writes an assignment.
//   - Assignments, keyed by the content's fingerprint. The owner of the fingerprint's
//     partition counts distinct accounts per fingerprint and window (campaign.Tally) and,
//     when the count reaches the threshold, writes one campaign event to the incidents
//     topic, keyed by the fingerprint, with id "<fingerprint>/<window start>".
//
// Offsets are committed after the partition's outputs were acknowledged (at least once).
// A partition's state is rebuilt when it is assigned: its messages since twice the window
// before now are applied again without writing anything, up to the committed offset, and
// the rest is processed. A crash between writing and committing replays the tail: an
// account counted twice counts once, and an event written again has the same id.
// Observations that cannot be queued (the queue is full) are dropped and counted:
// campaign counting is a best-effort side channel and never holds judging back.
type Campaigns struct {
	topic   string
	group   string
	events  string // incidents topic; "" = campaigns are only logged
	brokers []string
	dialer  *kafka.Dialer
	rs      ReaderSettings
	writer  *kafka.Writer
	origin  string
	source  string
	ccfg    campaign.Config
	span    time.Duration // how far back a partition's state is rebuilt from
	group3  [3]time.Duration
	log     *slog.Logger

	nparts atomic.Int64 // the topic's partition count, known once Run started
	queue  chan campaign.Observation
	ran    atomic.Bool
	stats  campaignCounters

	mu     sync.Mutex
	shards map[int]*campShard // per owned partition, kept across generations

	// OnCampaign, if set before Run, is called for every campaign this instance's
	// partitions find (live, not while rebuilding), with the record that reached it and
	// whether its event was written.
	OnCampaign func(c campaign.Campaign, recordID string, wrote bool)
}

// campShard is the state of one partition: the assignment index of the bands routed to
// it and the counts of the fingerprints routed to it.
type campShard struct {
	assign *campaign.Detector
	tally  *campaign.Tally
	next   int64 // the offset after the last message applied; -1 when the state is not to be trusted
}

type campaignCounters struct {
	published, dropped, sent, observed, assigned, replayed, bad, campaigns, written, generations, partitions atomic.Int64
}

// CampaignStats counts what the campaign topic did since it started.
type CampaignStats struct {
	Published, Dropped int64 // observations queued for the topic, and dropped (queue full, failed write)
	Sent               int64 // banded observation messages written (one per partition owning bands of an observation)
	Observed, Assigned int64 // banded observations and assignments this instance's partitions processed
	Replayed           int64 // messages applied again to rebuild a partition's state
	Bad                int64 // messages that were neither (another producer, the one-partition format of earlier versions)
	Campaigns, Written int64 // campaigns found by this instance's partitions, and events written
	Generations        int64 // consumer-group generations joined
	Partitions         int64 // partitions owned now
}

// Stats returns the counters.
func (c *Campaigns) Stats() CampaignStats {
	s := &c.stats
	return CampaignStats{Published: s.published.Load(), Dropped: s.dropped.Load(), Sent: s.sent.Load(), Observed: s.observed.Load(),
		Assigned: s.assigned.Load(), Replayed: s.replayed.Load(), Bad: s.bad.Load(), Campaigns: s.campaigns.Load(),
		Written: s.written.Load(), Generations: s.generations.Load(), Partitions: s.partitions.Load()}
}

// NewCampaigns returns the campaign topic's runtime for cfg, or nil, nil when cfg has no
// campaign topic. origin names this instance in observations (logs and events); the
// command uses the host name and process id.
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
	ccfg := campaign.New(campaign.Config{Accounts: pc.CampaignAccounts, Window: pc.CampaignWindow}).Config()
	c := &Campaigns{
		topic: pc.CampaignTopic, group: cfg.Group + ".campaigns", events: cfg.IncidentsTopic, brokers: cfg.Brokers, origin: origin, source: source,
		dialer: &kafka.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second, DualStack: true},
		rs:     ReaderSettings{MaxBytes: cfg.FetchMaxBytes, MaxWait: cfg.FetchMaxWait, QueueCapacity: 1000},
		ccfg:   ccfg, span: 2 * ccfg.Window,
		group3: [3]time.Duration{cfg.HeartbeatInterval, cfg.SessionTimeout, cfg.RebalanceTimeout},
		log:    log.With("component", "campaigns", "topic", pc.CampaignTopic),
		queue:  make(chan campaign.Observation, 10000),
		shards: map[int]*campShard{},
	}
	c.writer = NewWriter(cfg.Brokers, cfg.ClientID, WriterSettings{BatchSize: 1000, BatchTimeout: 10 * time.Millisecond}, kafkaLogger(log, slog.LevelWarn))
	c.writer.Balancer = &campaignBalancer{c: c}
	return c, nil
}

// campaignBalancer routes the campaign topic's messages by key modulo the partition
// count (campaign.PartitionOf on the 8-byte key) and every other message as the runtime's
// writer does (murmur2).
type campaignBalancer struct {
	c        *Campaigns
	fallback kafka.Murmur2Balancer
}

func (b *campaignBalancer) Balance(m kafka.Message, partitions ...int) int {
	if n := b.c.nparts.Load(); m.Topic == b.c.topic && len(m.Key) == 8 && n > 0 {
		return campaign.PartitionOf(binary.BigEndian.Uint64(m.Key), int(n))
	}
	return b.fallback.Balance(m, partitions...)
}

// Publish queues o for the campaign topic without blocking; it is the shared campaign
// detector's publish function. A full queue drops o (counted).
func (c *Campaigns) Publish(o campaign.Observation) {
	o.Origin = c.origin
	select {
	case c.queue <- o:
		c.stats.published.Add(1)
	default:
		if c.stats.dropped.Add(1) == 1 {
			c.log.Warn("campaign observation queue full: observations are being dropped (counted)")
		}
	}
}

// Run writes queued observations and processes the partitions the group gives this
// instance until ctx ends; it returns nil then, after writing the observations still
// queued (for up to 5 s): stop the judging first. Run may be called once.
func (c *Campaigns) Run(ctx context.Context) error {
	if !c.ran.CompareAndSwap(false, true) {
		return errors.New("stream: campaigns: Run called twice")
	}
	n, err := c.checkTopic(ctx)
	if err != nil || n == 0 {
		// Stopped before the topic was known: what judging queued cannot be routed.
		if q := len(c.queue); q > 0 {
			c.stats.dropped.Add(int64(q))
			c.log.Warn("campaign topic never became available: observations dropped", "observations", q)
		}
		return err
	}
	c.nparts.Store(int64(n))
	c.log.Info("campaign topic", "partitions", n, "group", c.group)
	var wg sync.WaitGroup
	wg.Go(func() { c.publish(ctx) })
	wg.Go(func() { c.consume(ctx) })
	wg.Wait()
	err = c.writer.Close()
	c.log.Info("stopped", "stats", fmt.Sprintf("%+v", c.Stats()))
	return err
}

// checkTopic waits for the topic's metadata and returns its partition count (0 when ctx
// ended first). Each attempt asks the broker with a transport of its own: kafka-go
// answers metadata requests from a transport's cache, refreshed every 6 s, so a topic
// created a moment ago stays unknown on a shared transport until the next refresh.
func (c *Campaigns) checkTopic(ctx context.Context) (int, error) {
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	for {
		md, err := freshMetadata(ctx, c.brokers, c.dialer.ClientID, c.topic)
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil {
			n := len(md.Topics[0].Partitions)
			if n > 0 {
				return n, nil
			}
			err = errors.New("no partitions")
		}
		if err == nil && len(md.Topics) == 1 {
			err = md.Topics[0].Error
		}
		d := backoff.next()
		c.log.Warn("campaign topic not available, retrying", "err", err, "retry_in", d)
		if !sleep(ctx, d) {
			return 0, nil
		}
	}
}

// publish writes queued observations, each once to every partition owning some of its
// bands, in batches until ctx ends; a failed batch is logged and counted as dropped.
func (c *Campaigns) publish(ctx context.Context) {
	n := int(c.nparts.Load())
	batch := make([]kafka.Message, 0, 1000)
	obs := 0
	add := func(o campaign.Observation) {
		obs++
		bands := campaign.BandKeys(&o.Sig)
		masks := campaign.Shards(&bands, n)
		of := 0
		for _, m := range masks {
			if m != 0 {
				of++
			}
		}
		for _, m := range masks {
			if m == 0 {
				continue
			}
			b, err := (&campaign.Banded{Mask: m, Of: of, Observation: o}).MarshalBinary()
			if err != nil {
				c.log.Warn("encoding a campaign observation", "err", err)
				c.stats.dropped.Add(1)
				return
			}
			first := bands[bits.TrailingZeros32(m)] // the key of a band this partition owns
			batch = append(batch, kafka.Message{Topic: c.topic, Key: binary.BigEndian.AppendUint64(nil, first), Value: b})
		}
	}
	fill := func() {
		for len(batch) < cap(batch)-fingerprint.MinHashBands {
			select {
			case o := <-c.queue:
				add(o)
			default:
				return
			}
		}
	}
	write := func(ctx context.Context) {
		if err := c.writer.WriteMessages(ctx, batch...); err != nil {
			c.stats.dropped.Add(int64(obs))
			c.log.Warn("writing campaign observations failed, dropped", "observations", obs, "err", err)
		} else {
			c.stats.sent.Add(int64(len(batch)))
		}
		batch, obs = batch[:0], 0
	}
	for {
		select {
		case <-ctx.Done():
			// Write what judging queued before the stop (Run is stopped after the judging,
			// see aigcwatch run), for a few seconds at most.
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for len(c.queue) > 0 && fctx.Err() == nil {
				fill()
				write(fctx)
			}
			if n := len(c.queue); n > 0 {
				c.stats.dropped.Add(int64(n))
				c.log.Warn("campaign observations not written at shutdown, dropped", "observations", n)
			}
			return
		case o := <-c.queue:
			add(o)
			fill()
			write(ctx)
		}
	}
}

// consume takes part in the campaign group until ctx ends.
func (c *Campaigns) consume(ctx context.Context) {
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                c.group,
		Brokers:           c.brokers,
		Dialer:            c.dialer,
		Topics:            []string{c.topic},
		GroupBalancers:    []kafka.GroupBalancer{kafka.RangeGroupBalancer{}, kafka.RoundRobinGroupBalancer{}},
		HeartbeatInterval: c.group3[0],
		SessionTimeout:    c.group3[1],
		RebalanceTimeout:  c.group3[2],
		JoinGroupBackoff:  time.Second,
		StartOffset:       kafka.FirstOffset,
		Timeout:           10 * time.Second,
		ErrorLogger:       kafkaLogger(c.log, slog.LevelWarn),
	})
	if err != nil {
		c.log.Error("campaign consumer group", "err", err)
		return
	}
	defer cg.Close()
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	for ctx.Err() == nil {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				return
			}
			d := backoff.next()
			c.log.Warn("campaign consumer group: cannot join, retrying", "group", c.group, "err", err, "retry_in", d)
			sleep(ctx, d)
			continue
		}
		backoff.reset()
		c.stats.generations.Add(1)
		done := make(chan struct{})
		gen.Start(func(gctx context.Context) {
			defer close(done)
			// The generation ends at a rebalance (gctx) or when this instance stops (ctx).
			gctx, cancel := context.WithCancel(gctx)
			defer cancel()
			defer context.AfterFunc(ctx, cancel)()
			var wg sync.WaitGroup
			owned := map[int]bool{}
			for _, a := range gen.Assignments[c.topic] {
				owned[a.ID] = true
				wg.Go(func() { c.runShard(gctx, gen, a.ID, a.Offset) })
			}
			c.stats.partitions.Store(int64(len(owned)))
			c.log.Info("campaign partitions assigned", "generation", gen.ID, "partitions", fmt.Sprint(slices.Sorted(maps.Keys(owned))))
			wg.Wait()
			// Return only when the generation ends: kafka-go ends it (and rejoins) when every
			// function started on it has returned, which would rebalance the group forever
			// when this instance owns no partition.
			<-gctx.Done()
			c.stats.partitions.Store(0)
			c.mu.Lock()
			for p := range c.shards { // a partition that moved away is rebuilt if it comes back
				if !owned[p] {
					delete(c.shards, p)
				}
			}
			c.mu.Unlock()
		})
		<-done
	}
}

// runShard processes partition p for one generation. The state of p is kept from the
// last generation when it was applied up to the committed offset; otherwise it is rebuilt
// from the messages of the last two windows.
func (c *Campaigns) runShard(gctx context.Context, gen *kafka.Generation, p int, committed int64) {
	log := c.log.With("partition", p)
	c.mu.Lock()
	sh := c.shards[p]
	c.mu.Unlock()
	start, live := committed, committed
	if sh == nil || sh.next < 0 || committed < 0 || sh.next != committed {
		sh = &campShard{assign: campaign.New(c.ccfg), tally: campaign.NewTally(c.ccfg), next: -1}
		from, err := c.offsetAt(gctx, p, time.Now().Add(-c.span))
		if err != nil {
			if gctx.Err() == nil {
				log.Warn("cannot find where to rebuild the campaign state from; rebuilding from the first offset", "err", err)
			}
			from = kafka.FirstOffset
		}
		switch {
		case committed < 0: // nothing committed: everything from the span on is new
			start, live = from, from
		case from == kafka.FirstOffset || from < committed:
			start = from
		}
		log.Info("campaign partition state", "rebuild_from", offsetString(start), "live_from", offsetString(live))
	}
	c.mu.Lock()
	c.shards[p] = sh
	c.mu.Unlock()
	rd, err := NewPartitionReader(c.brokers, c.dialer, c.topic, p, start, c.rs, kafkaLogger(log, slog.LevelDebug))
	if err != nil {
		log.Error("opening the campaign partition", "err", err)
		sh.next = -1
		return
	}
	defer rd.Close()
	in := make(chan kafka.Message, 1000)
	fctx, cancelFetch := context.WithCancel(gctx)
	var fwg sync.WaitGroup
	fwg.Go(func() {
		defer close(in)
		for {
			m, err := rd.FetchMessage(fctx)
			if err != nil {
				if fctx.Err() != nil {
					return
				}
				log.Warn("reading the campaign topic", "err", err)
				if !sleep(fctx, time.Second) {
					return
				}
				continue
			}
			select {
			case in <- m:
			case <-fctx.Done():
				return
			}
		}
	})
	defer func() { cancelFetch(); fwg.Wait() }()

	n := int(c.nparts.Load())
	lastCommit := committed
	commit := func() {
		if sh.next > lastCommit && sh.next > live {
			if err := gen.CommitOffsets(map[string]map[int]int64{c.topic: {p: sh.next}}); err != nil {
				log.Warn("committing the campaign partition failed, retrying later", "err", err)
				return
			}
			lastCommit = sh.next
		}
	}
	defer commit() // the generation's end: commit what was done (the coordinator still takes it during a rebalance)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	batch := make([]kafka.Message, 0, 1000)
	var out []kafka.Message
	var found []foundCampaign
	for {
		select {
		case <-gctx.Done():
			return
		case <-tick.C:
			commit()
			continue
		case m, ok := <-in:
			if !ok {
				return
			}
			batch = append(batch[:0], m)
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case m, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, m)
			default:
				break fill
			}
		}
		out, found = out[:0], found[:0]
		for _, m := range batch {
			out, found = c.apply(sh, p, n, m, m.Offset >= live, out, found)
		}
		if len(out) > 0 && !c.write(gctx, out, log) {
			sh.next = -1 // outputs not written: this state is not the committed one
			return
		}
		sh.next = batch[len(batch)-1].Offset + 1
		for _, f := range found {
			c.stats.campaigns.Add(1)
			if f.wrote {
				c.stats.written.Add(1)
			}
			log.Info("campaign", "fingerprint", f.c.ID, "accounts", f.c.Accounts, "window", f.c.Window.String(), "record", f.a.RecordID, "judged_by", f.a.Origin)
			if c.OnCampaign != nil {
				c.OnCampaign(f.c, f.a.RecordID, f.wrote)
			}
		}
	}
}

type foundCampaign struct {
	c     campaign.Campaign
	a     campaign.Assignment
	wrote bool
}

// apply applies message m of partition p (of n) to sh; when live, the assignment or the
// campaign event it makes is appended to out.
func (c *Campaigns) apply(sh *campShard, p, n int, m kafka.Message, live bool, out []kafka.Message, found []foundCampaign) ([]kafka.Message, []foundCampaign) {
	v, err := campaign.UnmarshalShardMessage(m.Value)
	if err != nil {
		if c.stats.bad.Add(1) <= 100 {
			c.log.Warn("not a campaign topic message, skipped", "partition", p, "offset", m.Offset, "err", err)
		}
		return out, found
	}
	if !live {
		c.stats.replayed.Add(1)
	}
	emit := func(key uint64, m interface{ MarshalBinary() ([]byte, error) }) {
		b, err := m.MarshalBinary()
		if err != nil {
			c.log.Warn("encoding a campaign topic message", "err", err)
			return
		}
		out = append(out, kafka.Message{Topic: c.topic, Key: binary.BigEndian.AppendUint64(nil, key), Value: b})
	}
	misrouted := func(key uint64) bool {
		if campaign.PartitionOf(key, n) == p {
			return false
		}
		if c.stats.bad.Add(1) <= 100 {
			c.log.Warn("campaign topic message in the wrong partition (was the partition count changed?), skipped", "partition", p, "offset", m.Offset)
		}
		return true
	}
	var cp campaign.Campaign
	var reached bool
	var by campaign.Assignment
	switch v := v.(type) {
	case *campaign.Banded:
		fp, created, merges := sh.assign.Assign(&v.Observation, v.Mask)
		if !live {
			return out, found
		}
		c.stats.observed.Add(1)
		emit(fp, &campaign.Assignment{FP: fp, Who: v.Who, At: v.At, Created: created, Part: p, Of: v.Of, RecordID: v.RecordID, Origin: v.Origin})
		for i := range merges {
			emit(merges[i].From, &merges[i])
		}
		return out, found
	case *campaign.Assignment:
		if misrouted(v.FP) {
			return out, found
		}
		var fwd *campaign.Assignment
		fwd, cp, reached = sh.tally.Add(v)
		if !live {
			return out, found
		}
		c.stats.assigned.Add(1)
		if fwd != nil {
			emit(fwd.FP, fwd)
		}
		by = *v
	case *campaign.Merge:
		if misrouted(v.From) {
			return out, found
		}
		if x := sh.tally.Merge(v); x != nil && live {
			emit(x.Into, x)
		}
		return out, found
	case *campaign.Transfer:
		if misrouted(v.Into) {
			return out, found
		}
		var fwd *campaign.Transfer
		fwd, cp, reached = sh.tally.Receive(v)
		if !live {
			return out, found
		}
		if fwd != nil {
			emit(fwd.Into, fwd)
		}
		by = campaign.Assignment{At: v.Start, RecordID: v.RecordID}
	}
	if !reached {
		return out, found
	}
	f := foundCampaign{c: cp, a: by}
	if ev, ok := c.event(cp, &by); ok {
		out = append(out, ev)
		f.wrote = true
	}
	return out, append(found, f)
}

// write writes out, retrying until it is acknowledged or ctx ends (false).
func (c *Campaigns) write(ctx context.Context, out []kafka.Message, log *slog.Logger) bool {
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	for {
		err := c.writer.WriteMessages(ctx, out...)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		d := backoff.next()
		log.Warn("writing campaign assignments and events failed, retrying", "n", len(out), "err", err, "retry_in", d)
		if !sleep(ctx, d) {
			return false
		}
	}
}

// offsetAt returns the first offset of partition p whose message is from t or later (the
// end offset when there is none).
func (c *Campaigns) offsetAt(ctx context.Context, p int, t time.Time) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var err error
	for _, b := range c.brokers {
		var conn *kafka.Conn
		conn, err = c.dialer.DialLeader(ctx, "tcp", b, c.topic, p)
		if err != nil {
			continue
		}
		dl, _ := ctx.Deadline()
		conn.SetDeadline(dl)
		off, err := conn.ReadOffset(t)
		if err == nil && off < 0 {
			off, err = conn.ReadLastOffset()
		}
		conn.Close()
		return off, err
	}
	return 0, err
}

// CampaignEvent is the data of a campaign event (CloudEvents type aigcwatch.campaign).
type CampaignEvent struct {
	Category    string    `json:"category"` // global.campaign
	Layer       string    `json:"layer"`    // global
	Severity    string    `json:"severity"` // medium, as the campaign finding: what routes match on
	Fingerprint string    `json:"fingerprint"`
	Accounts    int       `json:"accounts"`
	Estimate    bool      `json:"estimate"`
	Window      string    `json:"window"`
	WindowStart time.Time `json:"window_start"`
	RecordID    string    `json:"record_id"` // the record that reached the threshold
	Detail      string    `json:"detail"`
}

// event returns the campaign event's message; false when there is no incidents topic
// (campaigns are then only logged).
func (c *Campaigns) event(found campaign.Campaign, a *campaign.Assignment) (kafka.Message, bool) {
	ev := map[string]any{
		"specversion": "1.0", "type": incident.CampaignType, "source": c.source,
		"id":   found.ID + "/" + strconv.FormatInt(found.Start.Unix(), 10),
		"time": a.At.UTC().Format(time.RFC3339Nano), "datacontenttype": "application/json", "subject": found.ID,
		"data": CampaignEvent{Category: campaign.Category, Layer: "global", Severity: detectors.Medium.String(), Fingerprint: found.ID, Accounts: found.Accounts, Estimate: found.Estimate,
			Window: found.Window.String(), WindowStart: found.Start.UTC(), RecordID: a.RecordID, Detail: found.Detail()},
	}
	b, err := json.Marshal(ev)
	if err != nil || c.events == "" {
		return kafka.Message{}, false
	}
	return kafka.Message{Topic: c.events, Key: []byte(found.ID), Value: b,
		Headers: []kafka.Header{{Key: "ce_type", Value: []byte(incident.CampaignType)}}}, true
}
