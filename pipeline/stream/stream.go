// Package stream is the Kafka runtime of aigcwatch (`aigcwatch run`): it consumes content
// records from input topics in a consumer group, judges them with a pipeline.Processor
// (the same engine as `aigcwatch scan`), and produces verdicts, incidents and dead letters
// to output topics.
//
// Guarantees (docs/streaming.md has the long form):
//   - At least once: an input offset is committed only after every output of that record
//     and of every record before it in its partition was acknowledged by all in-sync
//     replicas (acks=all). A crash or a lost partition replays the uncommitted tail.
//   - Order per partition: each partition is judged and written in offset order by one
//     sender that retries a failed write before writing anything after it.
//   - Parallel partitions: every assigned partition has its own fetcher, judge and sender;
//     the CPU-bound judging is bounded by GOMAXPROCS through the Go scheduler.
//   - Bounded memory: at most Config.MaxInFlight records are fetched and not yet
//     acknowledged; when the bound is reached fetching stops (back-pressure).
//   - Deterministic output ids (header aigcwatch-id), so consumers can drop the
//     duplicates that at-least-once delivery produces.
//
// It uses kafka-go's ConsumerGroup API, not Reader's group mode: a generation's end is an
// explicit revoke point where the partition's in-flight work is drained and its offsets
// committed before the group rebalances, so no record is handed to another member while
// this one still works on it.
//
// Responsive enforcement (Config.Enforcement, enforcer.go): the Runner observes each
// judged record of a provider on an internal topic keyed by provider, and an Enforcer, a
// consumer group on that topic, owns the providers of its partitions and keeps their state
// in a compacted changelog topic, rebuilt by the next owner.
//
// Left out: exactly-once (kafka-go has no transactions nor idempotent producer), static
// membership and cooperative rebalancing (not in kafka-go). Metrics: Stats, and
// RegisterMetrics for Prometheus.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// Runner consumes, judges and produces until its context ends. Build it with New; Run it
// once.
type Runner struct {
	cfg Config
	p   *pipeline.Processor
	log *slog.Logger

	// OnAcked, if set before Run, is called by each partition's sender after a batch of
	// outputs was acknowledged, with the Kafka timestamps of the batch's input records
	// (benchmarks measure produce-to-acknowledged latency with it). It must be quick.
	OnAcked func(inputTimes []time.Time)

	writer *kafka.Writer
	dialer *kafka.Dialer
	// enforcement, when set (SetEnforcement), makes each judged record of a provider an
	// observation on enfTopic instead of incidents (the owner writes those).
	enforcement *enforce.State
	enfTopic    string
	tokens      chan struct{} // in-flight bound: one token per fetched, unacknowledged record
	stats       counters
	ran         atomic.Bool

	// acked remembers, across generations, the offset after the last acknowledged record
	// of each partition this process worked on. When the last commit of a generation
	// failed (the coordinator went away with the broker) and the partition comes back, the
	// work resumes there instead of at the stale committed offset: every record before it
	// has its outputs acknowledged, so nothing is skipped and fewer are judged twice.
	acked map[topicPartition]int64

	// passThrough (benchmarks only) copies each input to the verdicts topic unjudged:
	// the same fetch, batching, write and commit path without the pipeline.
	passThrough bool
	// passOutput, when set with passThrough, makes each input's output message instead
	// of the copy (benchmarks only: the prejudged-verdict floor).
	passOutput func(m kafka.Message) kafka.Message

	// Metrics (metrics.go): the produce-to-verdict histogram (nil: not registered) and the
	// current generation's partitions, for the lag and readiness.
	p2v          prometheus.Histogram
	partsMu      sync.Mutex
	parts        []*partition
	inGeneration bool
}

type topicPartition struct {
	topic     string
	partition int
}

// New checks cfg and returns a Runner judging with p, logging to log (nil: slog.Default).
func New(cfg Config, p *pipeline.Processor, log *slog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("stream: nil processor")
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "stream")
	comp, _ := compression(cfg.Compression)
	r := &Runner{cfg: cfg, p: p, log: log, tokens: make(chan struct{}, cfg.MaxInFlight), acked: map[topicPartition]int64{}}
	r.dialer = &kafka.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second, DualStack: true}
	r.writer = NewWriter(cfg.Brokers, cfg.ClientID, WriterSettings{
		BatchSize:    cfg.WriteBatchSize,
		BatchTimeout: cfg.WriteBatchTimeout,
		Compression:  comp,
	}, kafkaLogger(log, slog.LevelDebug)) // each failed write is logged once by the sender
	return r, nil
}

// SetEnforcement makes every judged record with a provider an observation on the
// enforcement topic (Config.EnforcementNames), keyed by provider, in place of its
// incidents: an Enforcer owning the provider stamps them with its level and writes them.
// st gives the ladders (its Policies); call before Run.
func (r *Runner) SetEnforcement(st *enforce.State) {
	r.enforcement = st
	r.enfTopic, _, _ = r.cfg.EnforcementNames()
}

// CountIncidentsDelivered adds n incidents of this Runner's records that another part
// of the process (the Enforcer) wrote and had acknowledged to IncidentsDelivered.
func (r *Runner) CountIncidentsDelivered(n int64) { r.stats.incidentsAcked.Add(n) }

// WriterSettings are the producer knobs shared by the runtime and the pass-through
// benchmark, so that both measure kafka-go with the same settings.
type WriterSettings struct {
	BatchSize    int
	BatchTimeout time.Duration
	Compression  kafka.Compression
}

// NewWriter returns the producer used for every output: acks from all in-sync replicas,
// key-hashed partitioning compatible with the Java client (murmur2), a short batch
// timeout, and no topic auto-creation. Its Topic is unset: each message names its own.
func NewWriter(brokers []string, clientID string, s WriterSettings, errLog kafka.Logger) *kafka.Writer {
	return &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Balancer:               kafka.Murmur2Balancer{},
		MaxAttempts:            5,
		WriteBackoffMin:        100 * time.Millisecond,
		WriteBackoffMax:        time.Second,
		BatchSize:              s.BatchSize,
		BatchBytes:             maxMessageBytes,
		BatchTimeout:           s.BatchTimeout,
		ReadTimeout:            10 * time.Second,
		WriteTimeout:           10 * time.Second,
		RequiredAcks:           kafka.RequireAll,
		Compression:            s.Compression,
		ErrorLogger:            errLog,
		AllowAutoTopicCreation: false,
		Transport:              &kafka.Transport{ClientID: clientID, DialTimeout: 5 * time.Second, MetadataTTL: 30 * time.Second},
	}
}

// ReaderSettings are the fetch knobs shared by the runtime and the pass-through benchmark.
type ReaderSettings struct {
	MaxBytes      int
	MaxWait       time.Duration
	QueueCapacity int
}

// NewPartitionReader returns a reader of one partition, outside any group (offsets are
// committed through the group generation, never by the reader), starting at offset
// (an absolute offset, kafka.FirstOffset or kafka.LastOffset).
func NewPartitionReader(brokers []string, dialer *kafka.Dialer, topic string, partition int, offset int64, s ReaderSettings, errLog kafka.Logger) (*kafka.Reader, error) {
	rd := kafka.NewReader(kafka.ReaderConfig{
		Brokers:         brokers,
		Topic:           topic,
		Partition:       partition,
		Dialer:          dialer,
		QueueCapacity:   s.QueueCapacity,
		MinBytes:        1,
		MaxBytes:        s.MaxBytes,
		MaxWait:         s.MaxWait,
		ReadLagInterval: -1,
		ReadBackoffMin:  100 * time.Millisecond,
		ReadBackoffMax:  2 * time.Second,
		MaxAttempts:     3,
		ErrorLogger:     errLog,
	})
	if err := rd.SetOffset(offset); err != nil {
		rd.Close()
		return nil, err
	}
	return rd, nil
}

func (r *Runner) readerSettings() ReaderSettings {
	return ReaderSettings{MaxBytes: r.cfg.FetchMaxBytes, MaxWait: r.cfg.FetchMaxWait, QueueCapacity: min(r.cfg.BatchRecords, 1000)}
}

// Run joins the group and processes records until ctx ends, then shuts down within
// Config.ShutdownTimeout: it stops fetching, lets in-flight records finish and their
// outputs be acknowledged, commits, leaves the group and closes the producer. It returns
// nil after a clean shutdown, or the error that stopped it (a missing topic, a shutdown
// that ran out of time; the log says which offsets may be replayed).
func (r *Runner) Run(ctx context.Context) error {
	if !r.ran.CompareAndSwap(false, true) {
		return errors.New("stream: Run called twice")
	}
	// graceful ends ShutdownTimeout×0.8 after ctx: draining stops there; the rest of the
	// budget is for the last commit, leaving the group and closing the producer.
	graceful, hard, stopTimers := shutdownContexts(ctx, r.cfg.ShutdownTimeout)
	defer stopTimers()

	if err := r.checkTopics(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	start := r.cfg.StartOffset
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                r.cfg.Group,
		Brokers:           r.cfg.Brokers,
		Dialer:            r.dialer,
		Topics:            r.cfg.Topics,
		GroupBalancers:    []kafka.GroupBalancer{kafka.RangeGroupBalancer{}, kafka.RoundRobinGroupBalancer{}},
		HeartbeatInterval: r.cfg.HeartbeatInterval,
		SessionTimeout:    r.cfg.SessionTimeout,
		RebalanceTimeout:  r.cfg.RebalanceTimeout,
		JoinGroupBackoff:  time.Second,
		StartOffset:       map[string]int64{"first": kafka.FirstOffset, "last": kafka.LastOffset}[start],
		Timeout:           10 * time.Second,
		ErrorLogger:       kafkaLogger(r.log, slog.LevelWarn),
	})
	if err != nil {
		return fmt.Errorf("stream: consumer group: %w", err)
	}
	r.log.Info("joining consumer group", "group", r.cfg.Group, "topics", strings.Join(r.cfg.Topics, ","), "brokers", strings.Join(r.cfg.Brokers, ","))

	var closeOnce sync.Once
	closeGroup := func() { closeOnce.Do(func() { r.leave(cg, hard) }) }
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	for ctx.Err() == nil {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				break
			}
			r.stats.groupErrors.Add(1)
			d := backoff.next()
			r.log.Warn("consumer group: cannot join, retrying", "group", r.cfg.Group, "err", err, "retry_in", d)
			sleep(ctx, d)
			continue
		}
		backoff.reset()
		r.stats.generations.Add(1)
		done := make(chan struct{})
		gen.Start(func(gctx context.Context) {
			defer close(done)
			r.generation(ctx, gctx, graceful, gen, closeGroup)
		})
		<-done
	}
	closeGroup() // waits for a close already started by the last generation
	errc := make(chan error, 1)
	go func() { errc <- r.writer.Close() }()
	var werr error
	select {
	case werr = <-errc:
	case <-hard.Done():
		werr = errors.New("closing the producer timed out")
	}
	var err2 error
	if graceful.Err() != nil && ctx.Err() != nil && r.stats.abandoned.Load() > 0 {
		err2 = fmt.Errorf("stream: shutdown timeout (%v) reached with %d batches not acknowledged: their records will be judged again (duplicates possible)", r.cfg.ShutdownTimeout, r.stats.abandoned.Load())
	}
	if werr != nil {
		r.log.Error("closing producer", "err", werr)
	}
	r.log.Info("stopped", "stats", r.Stats().String())
	return err2
}

// leave closes the consumer group (which leaves it, so that its partitions are
// reassigned at once rather than after the session timeout), bounded by hard.
func (r *Runner) leave(cg *kafka.ConsumerGroup, hard context.Context) {
	done := make(chan struct{})
	go func() {
		cg.Close()
		close(done)
	}()
	select {
	case <-done:
		r.log.Info("left consumer group", "group", r.cfg.Group)
	case <-hard.Done():
		r.log.Warn("leaving the consumer group timed out: its partitions move after the session timeout", "group", r.cfg.Group)
	}
}

// commitEvery calls commit every interval until stop is done; the channel it returns is
// closed when it has stopped (the generation's final commit comes after).
func commitEvery(stop context.Context, interval time.Duration, commit func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop.Done():
				return
			case <-t.C:
				commit()
			}
		}
	}()
	return done
}

// generationStop returns the context of one group generation's work: done when ctx is
// (shutdown) or gctx is (the generation ended: rebalance, lost coordinator).
func generationStop(ctx, gctx context.Context) (context.Context, context.CancelFunc) {
	stop, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-gctx.Done():
			cancel()
		case <-stop.Done():
		}
	}()
	return stop, cancel
}

// generation runs one group generation: a worker per assigned partition, a committer,
// and at the end (rebalance, lost coordinator or shutdown) the drain and final commit.
func (r *Runner) generation(ctx, gctx, graceful context.Context, gen *kafka.Generation, closeGroup func()) {
	stop, cancelStop := generationStop(ctx, gctx)
	defer cancelStop()
	var parts []*partition
	var names []string
	for topic, as := range gen.Assignments {
		for _, a := range as {
			p := &partition{r: r, topic: topic, id: a.ID, start: a.Offset, committed: a.Offset}
			p.hwm.Store(-1)
			if y, ok := r.acked[topicPartition{topic, a.ID}]; ok && y > a.Offset {
				// Acknowledged here in an earlier generation but not committed (see acked).
				r.log.Info("resuming after the committed offset: outputs up to there were acknowledged", "topic", topic, "partition", a.ID,
					"committed", offsetString(a.Offset), "resume", y)
				p.start = y
			}
			parts = append(parts, p)
			names = append(names, fmt.Sprintf("%s/%d@%s", topic, a.ID, offsetString(p.start)))
		}
	}
	r.log.Info("partitions assigned", "generation", gen.ID, "member", gen.MemberID, "partitions", strings.Join(names, " "))
	r.setParts(parts, true)
	defer r.setParts(nil, false)

	// send is the context of output writes: it outlives stop, so that in-flight records
	// finish, until the drain deadline.
	send, cancelSend := context.WithCancel(context.Background())
	defer cancelSend()
	var wg sync.WaitGroup
	for _, p := range parts {
		if p.start != p.committed {
			p.done.Store(p.start) // resumed: commit it even if nothing new arrives
		} else {
			p.done.Store(-1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run(stop, send)
		}()
	}
	commitDone := commitEvery(stop, r.cfg.CommitInterval, func() {
		if err := r.commit(gen, parts); err != nil {
			r.stats.commitErrors.Add(1)
			r.log.Warn("commit failed, retrying at the next interval", "generation", gen.ID, "err", err)
		}
	})

	<-stop.Done()
	<-commitDone
	shutdown := ctx.Err() != nil
	reason := "rebalance or lost coordinator"
	// On a rebalance the coordinator waits up to the rebalance timeout for this member to
	// rejoin; drain within half of it. On shutdown, drain until the graceful deadline.
	drain, cancelDrain := context.WithTimeout(graceful, r.cfg.RebalanceTimeout/2)
	if shutdown {
		reason = "shutdown"
		drain, cancelDrain = context.WithCancel(graceful)
	}
	defer cancelDrain()
	r.log.Info("stopping fetch, draining in-flight records", "generation", gen.ID, "reason", reason)
	drained := make(chan struct{})
	go func() {
		wg.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-drain.Done():
		r.log.Error("drain deadline reached: abandoning unacknowledged writes; their records will be judged again (duplicates possible)", "generation", gen.ID)
		cancelSend()
		<-drained
	}
	for _, p := range parts {
		if d := p.done.Load(); d >= 0 {
			r.acked[topicPartition{p.topic, p.id}] = d
		}
	}
	// The last commit: a few attempts, as the coordinator may be moving.
	var err error
	for attempt := range 3 {
		if err = r.commit(gen, parts); err == nil {
			break
		}
		r.stats.commitErrors.Add(1)
		if attempt < 2 && !sleep(drainOrHard(shutdown, graceful), 200*time.Millisecond) {
			break
		}
	}
	if err != nil {
		r.log.Error("final commit failed: records since the last commit will be judged again (duplicates possible)", "generation", gen.ID, "err", err)
	} else {
		r.log.Info("partitions released", "generation", gen.ID, "offsets", committedString(parts))
	}
	if shutdown {
		// Leave the group before returning: returning first would let kafka-go join the
		// group again. Closing the group ends the generation (gctx) once we wait for it.
		go closeGroup()
		select {
		case <-gctx.Done():
		case <-time.After(r.cfg.ShutdownTimeout):
		}
	}
}

func drainOrHard(shutdown bool, graceful context.Context) context.Context {
	if shutdown {
		return context.Background()
	}
	return graceful
}

// commit commits, for every partition that moved, the offset after its last record whose
// outputs were all acknowledged.
func (r *Runner) commit(gen *kafka.Generation, parts []*partition) error {
	offsets := map[string]map[int]int64{}
	for _, p := range parts {
		if d := p.done.Load(); d >= 0 && d != p.committed {
			if offsets[p.topic] == nil {
				offsets[p.topic] = map[int]int64{}
			}
			offsets[p.topic][p.id] = d
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	if err := gen.CommitOffsets(offsets); err != nil {
		return err
	}
	r.stats.commits.Add(1)
	for _, p := range parts {
		if d, ok := offsets[p.topic][p.id]; ok {
			p.committed = d
		}
	}
	return nil
}

func committedString(parts []*partition) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s/%d@%s", p.topic, p.id, offsetString(p.committed))
	}
	return b.String()
}

func offsetString(o int64) string {
	switch o {
	case kafka.FirstOffset:
		return "first"
	case kafka.LastOffset:
		return "last"
	}
	return fmt.Sprint(o)
}

// checkTopics waits until the broker answers and checks that every topic exists: a
// missing output topic would otherwise stall every partition on write retries.
func (r *Runner) checkTopics(ctx context.Context) error {
	topics := append(append([]string{}, r.cfg.Topics...), r.cfg.VerdictsTopic, r.cfg.DLQTopic)
	if r.cfg.IncidentsTopic != "" {
		topics = append(topics, r.cfg.IncidentsTopic)
	}
	if r.cfg.RulesetsTopic != "" {
		topics = append(topics, r.cfg.RulesetsTopic)
	}
	if r.enforcement != nil {
		topics = append(topics, r.enfTopic)
	}
	backoff := newBackoff(200*time.Millisecond, 5*time.Second)
	missingTries := 0
	for {
		md, err := freshMetadata(ctx, r.cfg.Brokers, r.cfg.ClientID, topics...)
		if err == nil {
			var missing []string
			for _, t := range md.Topics {
				if t.Error != nil {
					missing = append(missing, fmt.Sprintf("%s (%v)", t.Name, t.Error))
				}
			}
			if len(missing) == 0 {
				return nil
			}
			// A topic created a moment ago may not be in the metadata yet.
			if missingTries++; missingTries >= 5 {
				return fmt.Errorf("stream: topics not available on %s: %s; create them (scripts/kafka.sh topic NAME PARTITIONS)",
					strings.Join(r.cfg.Brokers, ","), strings.Join(missing, ", "))
			}
			err = fmt.Errorf("topics not available: %s", strings.Join(missing, ", "))
		}
		d := backoff.next()
		r.log.Warn("broker metadata unavailable, retrying", "brokers", strings.Join(r.cfg.Brokers, ","), "err", err, "retry_in", d)
		if !sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// freshMetadata asks the brokers for the metadata of topics on a transport of its own,
// closed afterwards, so that the answer comes from a broker and not from a cache.
func freshMetadata(ctx context.Context, brokers []string, clientID string, topics ...string) (*kafka.MetadataResponse, error) {
	tr := &kafka.Transport{ClientID: clientID, DialTimeout: 5 * time.Second, MetadataTopics: topics}
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: tr}
	return cl.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
}

// shutdownContexts returns graceful, cancelled 80% of timeout after ctx ends, and hard,
// cancelled timeout after ctx ends.
func shutdownContexts(ctx context.Context, timeout time.Duration) (graceful, hard context.Context, stop func()) {
	graceful, cancelGraceful := context.WithCancel(context.Background())
	hard, cancelHard := context.WithCancel(context.Background())
	quit := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-quit:
			return
		}
		g := time.NewTimer(timeout * 4 / 5)
		h := time.NewTimer(timeout)
		defer g.Stop()
		defer h.Stop()
		for {
			select {
			case <-g.C:
				cancelGraceful()
			case <-h.C:
				cancelHard()
				return
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return graceful, hard, func() {
		once.Do(func() {
			close(quit)
			cancelGraceful()
			cancelHard()
		})
	}
}

// sleep waits d or until ctx ends; it reports whether the full d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff is a capped exponential backoff.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(lo, hi time.Duration) *backoff { return &backoff{min: lo, max: hi} }

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// transient reports whether a write error is one that time may cure (broker down or
// restarting, leader moving); the sender retries every error, this only picks the log level.
func transient(err error) bool {
	var kerr kafka.Error
	var nerr net.Error
	switch {
	case errors.As(err, &kerr):
		return kerr.Temporary()
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.As(err, &nerr):
		return true
	}
	return false
}
