package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// Banks reads live fingerprint bank additions from the banks topic
// (pipeline.Config.BanksTopic) into the running fingerprint Matcher.
//
// Every instance must hold every addition, so the topic is not read in a consumer group:
// each instance has a plain reader per partition, outside any group, that starts at the
// first offset the broker still holds and follows the topic for as long as the process
// runs. Additions live only in memory, so reading from the beginning is what rebuilds
// them after a restart; the topic's retention (or compaction) bounds what is replayed, as
// fingerprint.MaxLiveAdditions bounds what is held. Fold old additions into bank files.
//
// A message value is one or more bank lines in the bank file format (docs/fingerprints.md;
// blank lines and '#' lines skipped). Each valid line is added with Matcher.Add; a bad line
// (malformed, unknown bank) is logged with its partition, offset and line number, counted,
// and skipped: it never stops the reader. Partitions added to the topic after start are
// not read until the process restarts.
type Banks struct {
	topic   string
	brokers []string
	dialer  *kafka.Dialer
	rs      ReaderSettings
	matcher func() *fingerprint.Matcher
	log     *slog.Logger

	ready     chan struct{}
	readyOnce sync.Once
	ran       atomic.Bool
	logged    atomic.Int64 // bad lines logged so far (see logBad)
	stats     banksCounters
}

type banksCounters struct {
	messages, added, malformed, rejected, full atomic.Int64
}

// BanksStats counts what the banks reader did since it started.
type BanksStats struct {
	Messages  int64 // messages read
	Added     int64 // lines added to the Matcher
	Malformed int64 // lines that are not bank lines (fingerprint.ParseEntry failed)
	Rejected  int64 // well-formed lines the Matcher refused (unknown bank)
	Full      int64 // lines refused because fingerprint.MaxLiveAdditions was reached
}

func (s BanksStats) String() string {
	return fmt.Sprintf("messages=%d added=%d malformed=%d rejected=%d full=%d", s.Messages, s.Added, s.Malformed, s.Rejected, s.Full)
}

// Stats returns the counters.
func (b *Banks) Stats() BanksStats {
	return BanksStats{Messages: b.stats.messages.Load(), Added: b.stats.added.Load(), Malformed: b.stats.malformed.Load(),
		Rejected: b.stats.rejected.Load(), Full: b.stats.full.Load()}
}

// Ready is closed once every partition has been read up to the end offset it had when
// Run started (the additions made before this process started are in the Matcher).
func (b *Banks) Ready() <-chan struct{} { return b.ready }

// NewBanks returns the banks reader for cfg, adding to the Matcher in
// cfg.Pipeline.Fingerprints or, when that is nil, to the Matcher of p's current
// fingerprint detector (then additions are lost at the next reload, which builds a new
// one: set Fingerprints). It returns nil, nil when cfg has no banks topic.
func NewBanks(cfg Config, p *pipeline.Processor, log *slog.Logger) (*Banks, error) {
	if cfg.Pipeline.BanksTopic == "" {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, t := range append(append([]string{}, cfg.Topics...), cfg.VerdictsTopic, cfg.IncidentsTopic, cfg.DLQTopic, cfg.RulesetsTopic) {
		if t == cfg.Pipeline.BanksTopic {
			return nil, fmt.Errorf("config: banks_topic: %q is also an input or output topic", t)
		}
	}
	if log == nil {
		log = slog.Default()
	}
	b := &Banks{
		topic:   cfg.Pipeline.BanksTopic,
		brokers: cfg.Brokers,
		dialer:  &kafka.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second, DualStack: true},
		rs:      ReaderSettings{MaxBytes: cfg.FetchMaxBytes, MaxWait: cfg.FetchMaxWait, QueueCapacity: 100},
		log:     log.With("component", "banks", "topic", cfg.Pipeline.BanksTopic),
		ready:   make(chan struct{}),
	}
	if m := cfg.Pipeline.Fingerprints; m != nil {
		b.matcher = func() *fingerprint.Matcher { return m }
	} else {
		if p == nil {
			return nil, errors.New("stream: banks: nil processor")
		}
		b.matcher = func() *fingerprint.Matcher {
			if d := p.FingerprintDetector(); d != nil {
				return d.Matcher()
			}
			return nil
		}
	}
	return b, nil
}

// Run reads the banks topic until ctx ends and returns nil then. A missing topic or an
// unreachable broker is logged and retried (with backoff up to 5 s), never fatal: the
// records keep being judged with the banks already held. Run may be called once.
func (b *Banks) Run(ctx context.Context) error {
	if !b.ran.CompareAndSwap(false, true) {
		return errors.New("stream: banks: Run called twice")
	}
	var parts []partitionRange
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	for {
		var err error
		if parts, err = b.partitions(ctx); err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		d := backoff.next()
		b.log.Warn("banks topic not available, retrying", "err", err, "retry_in", d)
		if !sleep(ctx, d) {
			return nil
		}
	}
	b.log.Info("reading live bank additions from the first offset", "partitions", len(parts))
	var wg sync.WaitGroup
	var pending atomic.Int64
	pending.Store(int64(len(parts)))
	caughtUp := func() {
		if pending.Add(-1) == 0 {
			b.readyOnce.Do(func() {
				close(b.ready)
				b.log.Info("banks topic caught up", "stats", b.Stats().String())
			})
		}
	}
	if len(parts) == 0 {
		b.readyOnce.Do(func() { close(b.ready) })
	}
	for _, pr := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.readPartition(ctx, pr, caughtUp)
		}()
	}
	wg.Wait()
	b.log.Info("stopped reading bank additions", "stats", b.Stats().String())
	return nil
}

// partitionRange is a partition and the offset after its last message when Run started.
type partitionRange struct {
	id  int
	end int64
}

// partitions lists the topic's partitions and their end offsets.
func (b *Banks) partitions(ctx context.Context) ([]partitionRange, error) {
	cl := &kafka.Client{Addr: kafka.TCP(b.brokers...), Timeout: 10 * time.Second,
		Transport: &kafka.Transport{ClientID: b.dialer.ClientID, DialTimeout: 5 * time.Second}}
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{b.topic}})
	if err != nil {
		return nil, err
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		if len(md.Topics) == 1 {
			err = md.Topics[0].Error
		}
		return nil, fmt.Errorf("topic %q: %v (create it: scripts/kafka.sh topic %s 1)", b.topic, err, b.topic)
	}
	var req []kafka.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		req = append(req, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
	}
	res, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{b.topic: req}})
	if err != nil {
		return nil, err
	}
	var out []partitionRange
	for _, po := range res.Topics[b.topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("partition %d offsets: %w", po.Partition, po.Error)
		}
		end := po.LastOffset
		if end <= po.FirstOffset {
			end = -1 // empty: caught up at once
		}
		out = append(out, partitionRange{id: po.Partition, end: end})
	}
	return out, nil
}

// readPartition follows one partition from its first offset until ctx ends.
func (b *Banks) readPartition(ctx context.Context, pr partitionRange, caughtUp func()) {
	log := b.log.With("partition", pr.id)
	var rd *kafka.Reader
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	for rd == nil {
		var err error
		rd, err = NewPartitionReader(b.brokers, b.dialer, b.topic, pr.id, kafka.FirstOffset, b.rs, kafkaLogger(log, slog.LevelDebug))
		if err != nil {
			d := backoff.next()
			log.Warn("cannot open banks partition, retrying", "err", err, "retry_in", d)
			if !sleep(ctx, d) {
				return
			}
		}
	}
	defer rd.Close()
	done := pr.end < 0
	if done {
		caughtUp()
	}
	for {
		msg, err := rd.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// kafka-go retries fetch errors itself; an error here is rare (reader closed).
			log.Warn("reading banks partition", "err", err)
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		b.apply(log, msg.Offset, msg.Value)
		if !done && msg.Offset+1 >= pr.end {
			done = true
			caughtUp()
		}
	}
}

// apply adds the bank lines of one message. Lines are added together when they all pass
// (one Set swap), else one by one so that a bad line does not hold back the good ones.
func (b *Banks) apply(log *slog.Logger, offset int64, value []byte) {
	b.stats.messages.Add(1)
	m := b.matcher()
	var entries []fingerprint.Entry
	var lines []int
	for n, line := range bytes.Split(value, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
			continue
		}
		e, err := fingerprint.ParseEntry(line)
		if err != nil {
			b.stats.malformed.Add(1)
			b.logBad(log, offset, n+1, "malformed", err)
			continue
		}
		entries, lines = append(entries, e), append(lines, n+1)
	}
	if len(entries) == 0 {
		return
	}
	if m == nil {
		b.stats.rejected.Add(int64(len(entries)))
		b.logBad(log, offset, lines[0], "rejected", errors.New("no fingerprint detector in the pipeline"))
		return
	}
	if len(entries) > 1 {
		if err := m.Add(entries...); err == nil {
			b.stats.added.Add(int64(len(entries)))
			return
		}
	}
	for i, e := range entries {
		switch err := m.Add(e); {
		case err == nil:
			b.stats.added.Add(1)
		case errors.Is(err, fingerprint.ErrTooManyAdditions):
			if b.stats.full.Add(1) == 1 {
				log.Error("live bank additions are full: further additions are dropped until the topic is folded into bank files and the process restarted",
					"max", fingerprint.MaxLiveAdditions, "offset", offset)
			}
		default:
			b.stats.rejected.Add(1)
			b.logBad(log, offset, lines[i], "rejected", err)
		}
	}
}

// logBad logs a bad line: every one of the first 1000, then one in 1000, so that a topic
// full of garbage does not flood the log (the counters have the totals).
func (b *Banks) logBad(log *slog.Logger, offset int64, line int, reason string, err error) {
	if n := b.logged.Add(1); n <= 1000 || n%1000 == 0 {
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		log.Warn("bad bank line skipped", "offset", offset, "line", line, "reason", reason, "err", strings.ToValidUTF8(msg, "?"), "bad_lines_logged", n)
	}
}
