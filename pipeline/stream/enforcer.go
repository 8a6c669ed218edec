package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	json "github.com/segmentio/encoding/json" // encoding/json's API, several times faster (BenchmarkEnforcementWire)
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/incident"
)

// The Enforcer keeps the providers' enforcement state in `aigcwatch run`, consistent
// and durable on Kafka itself (the way Kafka Streams keeps a state store):
//
//   - Ownership: judged records are observed on the enforcement topic keyed by provider
//     (observation.go), so each provider lives in one partition of it; the members of the
//     enforcement consumer group own the providers of the partitions they are assigned.
//     The group protocol decides the owner; there is no consensus of our own.
//   - Changelog: every CommitInterval (or sooner when many are pending), the state of
//     every provider changed since (enforce.EntryState) is written to the compacted
//     changelog topic, to the partition of the same number, keyed by
//     ["provider","jurisdiction"], together with the input offsets it includes (per input
//     partition, the offset after the newest record counted).
//   - Order of writes: each batch's incidents (stamped with data.enforcement) and level
//     changes are written and acknowledged first; the changelog later; and only then is
//     the enforcement topic's offset committed, up to what the changelog includes. A crash
//     between two steps replays: outputs again (same ids, same content), then the changelog.
//   - Rebuild: a newly assigned owner reads the changelog partition to its end, installs
//     the newest state of each provider (enforce.State.Put), and skips every observation
//     whose input offset the state already includes, so a replay after a crash or a
//     rebalance (of the judges or of the owners) never counts a record twice and never
//     loses one.
//
// Left out: exactly-once outputs (kafka-go has no transactions; outputs carry
// deterministic ids), standby replicas (a new owner rebuilds from the changelog).
type Enforcer struct {
	cfg                     Config
	st                      *enforce.State
	log                     *slog.Logger
	topic, changelog, group string

	out, chg *kafka.Writer // outputs (incidents topic, dead letters), changelog (explicit partition)
	dialer   *kafka.Dialer
	ran      atomic.Bool
	now      func() time.Time

	// OnIncidentsAcked, if set before Run, is called with the number of incidents (not
	// level changes) of each batch the incidents topic acknowledged (run adds them to the
	// Runner's aigcwatch_incidents_delivered_total).
	OnIncidentsAcked func(n int64)

	mu         sync.Mutex
	owned      map[int]*owner // partitions of the current generation
	inGen      bool
	rebuilding int

	stats enforcerCounters
}

type enforcerCounters struct {
	applied, replayed, bad, changes, incidents, changelogWrites, rebuilt, writeErrors, commits, commitErrors, generations atomic.Int64
}

// EnforcerStats counts what an Enforcer did since it started.
type EnforcerStats struct {
	Applied         int64 // observations counted
	Replayed        int64 // observations skipped: their state already included them
	Bad             int64 // observations that could not be read (sent to the dead-letter topic)
	Changes         int64 // level changes written
	Incidents       int64 // incidents written (stamped)
	ChangelogWrites int64 // provider states written to the changelog
	Rebuilt         int64 // provider states read back from the changelog
	WriteErrors     int64 // failed write attempts (each retried)
	Commits         int64
	CommitErrors    int64
	Generations     int64
	Partitions      int // partitions owned now
}

// ErrEnforcementTopics is wrapped by the errors of EnsureTopics when the enforcement
// topics exist but cannot be used as they are (a changelog that is not compacted,
// partition counts that differ): fix the topics or name others; nothing was changed.
var ErrEnforcementTopics = errors.New("stream: enforcement topics unusable")

// ChangelogFormat names the value format of the changelog topic.
const ChangelogFormat = "aigcwatch.enforcement.changelog.v1"

// changelogValue is one provider's state on the changelog.
type changelogValue struct {
	Format string `json:"format"`
	// Partition and Offset: the enforcement topic's partition and the offset after the
	// last observation applied when this was written (for operators; the skip uses Included).
	Partition int   `json:"partition"`
	Offset    int64 `json:"offset"`
	// Included maps each input partition ("topic/partition") to the offset after the
	// newest of its records that this state counts.
	Included map[string]int64   `json:"included"`
	Entry    enforce.EntryState `json:"entry"`
}

// NewEnforcer returns an Enforcer applying st (its policies; the providers it owns are
// put in it and taken out as partitions come and go). st is shared with the HTTP
// handler and the metrics, which see the providers this process owns.
func NewEnforcer(cfg Config, st *enforce.State, log *slog.Logger) (*Enforcer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("stream: nil enforcement state")
	}
	if log == nil {
		log = slog.Default()
	}
	e := &Enforcer{cfg: cfg, st: st, log: log.With("component", "enforcement"), owned: map[int]*owner{}, now: time.Now}
	e.topic, e.changelog, e.group = cfg.EnforcementNames()
	comp, _ := compression(cfg.Compression)
	ws := WriterSettings{BatchSize: cfg.WriteBatchSize, BatchTimeout: cfg.WriteBatchTimeout, Compression: comp}
	e.out = NewWriter(cfg.Brokers, cfg.ClientID+"-enforcement", ws, kafkaLogger(e.log, slog.LevelDebug))
	e.chg = NewWriter(cfg.Brokers, cfg.ClientID+"-enforcement", ws, kafkaLogger(e.log, slog.LevelDebug))
	e.chg.Balancer = explicitPartition{}
	e.dialer = &kafka.Dialer{ClientID: cfg.ClientID + "-enforcement", Timeout: 10 * time.Second, DualStack: true}
	return e, nil
}

// explicitPartition writes each message to the partition it names: a provider's
// changelog record goes to the partition of the same number as its observations'.
type explicitPartition struct{}

func (explicitPartition) Balance(m kafka.Message, _ ...int) int { return m.Partition }

// Stats returns a snapshot of the counters.
func (e *Enforcer) Stats() EnforcerStats {
	c := &e.stats
	e.mu.Lock()
	n := len(e.owned)
	e.mu.Unlock()
	return EnforcerStats{Applied: c.applied.Load(), Replayed: c.replayed.Load(), Bad: c.bad.Load(), Changes: c.changes.Load(),
		Incidents: c.incidents.Load(), ChangelogWrites: c.changelogWrites.Load(), Rebuilt: c.rebuilt.Load(),
		WriteErrors: c.writeErrors.Load(), Commits: c.commits.Load(), CommitErrors: c.commitErrors.Load(),
		Generations: c.generations.Load(), Partitions: n}
}

func (s EnforcerStats) String() string {
	return fmt.Sprintf("applied=%d replayed=%d bad=%d changes=%d incidents=%d changelog_writes=%d rebuilt=%d write_errors=%d commits=%d partitions=%d",
		s.Applied, s.Replayed, s.Bad, s.Changes, s.Incidents, s.ChangelogWrites, s.Rebuilt, s.WriteErrors, s.Commits, s.Partitions)
}

// Owned lists the partitions of the enforcement topic this instance owns now, sorted.
func (e *Enforcer) Owned() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]int, 0, len(e.owned))
	for p := range e.owned {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// Ready says whether the enforcer holds a generation and has rebuilt its partitions.
func (e *Enforcer) Ready() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case !e.inGen:
		return errors.New("enforcement: not in a consumer group generation (joining or rebalancing)")
	case e.rebuilding > 0:
		return fmt.Errorf("enforcement: rebuilding %d partitions from the changelog", e.rebuilding)
	}
	return nil
}

// EnsureTopics creates the enforcement topic and its compacted changelog when they are
// missing (partitions: Config.EnforcementPartitions, else those of the first input
// topic), and checks existing ones: the changelog must be compacted and both must have
// the same number of partitions (ErrEnforcementTopics otherwise). Call it before the
// Runner and the Enforcer run.
func (e *Enforcer) EnsureTopics(ctx context.Context) error {
	cl := &kafka.Client{Addr: kafka.TCP(e.cfg.Brokers...), Timeout: 10 * time.Second,
		Transport: &kafka.Transport{ClientID: e.cfg.ClientID, DialTimeout: 5 * time.Second}}
	var parts map[string]int
	var err error
	if err := retryAdmin(ctx, e.log, func() error {
		parts, err = topicPartitions(ctx, cl, e.cfg.Topics[0], e.topic, e.changelog)
		return err
	}); err != nil {
		return err
	}
	n := e.cfg.EnforcementPartitions
	if n == 0 {
		n = parts[e.cfg.Topics[0]]
	}
	if n < 0 { // the input topic has a partition without a leader (it may be moving): its count still holds
		n = 0
		if md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: e.cfg.Topics[:1]}); err == nil && len(md.Topics) == 1 {
			n = len(md.Topics[0].Partitions)
		}
	}
	if n <= 0 {
		return fmt.Errorf("stream: input topic %q not found: cannot size the enforcement topics (set enforcement_partitions)", e.cfg.Topics[0])
	}
	rf := e.cfg.EnforcementReplication
	if rf == 0 {
		rf = -1 // the broker's default.replication.factor
	}
	var create []kafka.TopicConfig
	if parts[e.topic] == 0 { // missing (-1: exists, partitions without a leader yet)
		create = append(create, kafka.TopicConfig{Topic: e.topic, NumPartitions: n, ReplicationFactor: rf})
	}
	if parts[e.changelog] == 0 {
		create = append(create, kafka.TopicConfig{Topic: e.changelog, NumPartitions: n, ReplicationFactor: rf,
			ConfigEntries: []kafka.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"}}})
	}
	if len(create) > 0 {
		if err := retryAdmin(ctx, e.log, func() error {
			res, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: create})
			if err != nil {
				return err
			}
			for t, terr := range res.Errors {
				if terr != nil && !errors.Is(terr, kafka.TopicAlreadyExists) {
					return permanent{fmt.Errorf("creating topic %s: %w", t, terr)}
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("stream: creating the enforcement topics: %w", err)
		}
		for _, c := range create {
			e.log.Info("created enforcement topic", "topic", c.Topic, "partitions", c.NumPartitions, "configs", fmt.Sprint(c.ConfigEntries))
		}
	}
	// Check what is there now (created by us or by another instance at the same time).
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := retryAdmin(ctx, e.log, func() error {
			parts, err = topicPartitions(ctx, cl, e.topic, e.changelog)
			return err
		}); err != nil {
			return err
		}
		if parts[e.topic] > 0 && parts[e.changelog] > 0 || time.Now().After(deadline) {
			break
		}
		// Missing (another instance is creating them) or without leaders yet.
		if !sleep(ctx, 200*time.Millisecond) {
			return ctx.Err()
		}
	}
	if parts[e.topic] < 0 || parts[e.changelog] < 0 {
		return fmt.Errorf("stream: the enforcement topics %s and %s have partitions without a leader after 30s; check the brokers", e.topic, e.changelog)
	}
	if parts[e.topic] != parts[e.changelog] || parts[e.topic] == 0 {
		return fmt.Errorf("%w: %s has %d partitions and its changelog %s %d: they must be equal (a provider's state lives in the partition of the same number)",
			ErrEnforcementTopics, e.topic, parts[e.topic], e.changelog, parts[e.changelog])
	}
	var policy string
	if err := retryAdmin(ctx, e.log, func() error {
		res, err := cl.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{
			{ResourceType: kafka.ResourceTypeTopic, ResourceName: e.changelog, ConfigNames: []string{"cleanup.policy"}}}})
		if err != nil {
			return err
		}
		for _, r := range res.Resources {
			if r.Error != nil {
				return r.Error
			}
			for _, c := range r.ConfigEntries {
				if c.ConfigName == "cleanup.policy" {
					policy = c.ConfigValue
				}
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("stream: reading the configuration of %s: %w", e.changelog, err)
	}
	if !strings.Contains(policy, "compact") {
		return fmt.Errorf("%w: changelog topic %s has cleanup.policy=%q: its records would expire and the providers' history with them; "+
			"set cleanup.policy=compact (kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config cleanup.policy=compact) or name another topic",
			ErrEnforcementTopics, e.changelog, policy, e.changelog)
	}
	return nil
}

// topicPartitions returns the partition count of each topic that exists (absent: 0).
func topicPartitions(ctx context.Context, cl *kafka.Client, topics ...string) (map[string]int, error) {
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, t := range md.Topics {
		switch {
		case t.Error == nil:
			out[t.Name] = len(t.Partitions)
			for _, p := range t.Partitions {
				if p.Error != nil || p.Leader.Host == "" {
					out[t.Name] = -1 // created a moment ago: not every partition has a leader yet
				}
			}
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition):
		default:
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
	}
	return out, nil
}

// retryAdmin retries f until it succeeds or ctx ends: the broker may be unreachable at
// start (run waits for it, as it does for its other topics) and the first call after a
// broker restart can fail.
func retryAdmin(ctx context.Context, log *slog.Logger, f func() error) error {
	bo := newBackoff(200*time.Millisecond, 5*time.Second)
	for {
		err := f()
		var perm permanent
		if errors.As(err, &perm) {
			return perm.error
		}
		if err == nil || ctx.Err() != nil {
			return err
		}
		d := bo.next()
		log.Warn("broker admin request failed, retrying", "err", err, "retry_in", d)
		if !sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// permanent marks an admin error that retrying cannot cure (the broker refused).
type permanent struct{ error }

// Run joins the enforcement group and owns the providers of its partitions until ctx
// ends; then it finishes the batch in hand, commits, leaves the group and closes its
// producers within Config.ShutdownTimeout.
func (e *Enforcer) Run(ctx context.Context) error {
	if !e.ran.CompareAndSwap(false, true) {
		return errors.New("stream: Enforcer.Run called twice")
	}
	graceful, hard, stopTimers := shutdownContexts(ctx, e.cfg.ShutdownTimeout)
	defer stopTimers()
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: e.group, Brokers: e.cfg.Brokers, Dialer: e.dialer, Topics: []string{e.topic},
		GroupBalancers:    []kafka.GroupBalancer{kafka.RangeGroupBalancer{}, kafka.RoundRobinGroupBalancer{}},
		HeartbeatInterval: e.cfg.HeartbeatInterval, SessionTimeout: e.cfg.SessionTimeout, RebalanceTimeout: e.cfg.RebalanceTimeout,
		JoinGroupBackoff: time.Second, StartOffset: kafka.FirstOffset, Timeout: 10 * time.Second,
		ErrorLogger: kafkaLogger(e.log, slog.LevelWarn),
	})
	if err != nil {
		return fmt.Errorf("stream: enforcement consumer group: %w", err)
	}
	e.log.Info("joining enforcement group", "group", e.group, "topic", e.topic, "changelog", e.changelog)
	var closeOnce sync.Once
	closeGroup := func() {
		closeOnce.Do(func() {
			done := make(chan struct{})
			go func() { cg.Close(); close(done) }()
			select {
			case <-done:
			case <-hard.Done():
				e.log.Warn("leaving the enforcement group timed out: its partitions move after the session timeout")
			}
		})
	}
	bo := newBackoff(200*time.Millisecond, 5*time.Second)
	for ctx.Err() == nil {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				break
			}
			d := bo.next()
			e.log.Warn("enforcement group: cannot join, retrying", "err", err, "retry_in", d)
			sleep(ctx, d)
			continue
		}
		bo.reset()
		e.stats.generations.Add(1)
		done := make(chan struct{})
		gen.Start(func(gctx context.Context) {
			defer close(done)
			e.generation(ctx, gctx, graceful, gen, closeGroup)
		})
		<-done
	}
	closeGroup()
	err = errors.Join(e.out.Close(), e.chg.Close())
	e.log.Info("enforcement stopped", "stats", e.Stats().String())
	if err != nil {
		return fmt.Errorf("stream: closing the enforcement producers: %w", err)
	}
	return nil
}

// owner is the work on one partition of the enforcement topic during one generation.
type owner struct {
	e    *Enforcer
	part int
	// keys are the providers of the partition, with the input offsets their state includes.
	keys       map[enforce.Key]map[string]int64
	streamTime int64 // newest record time seen (unix ns), for the sweep
	// done is the offset after the last observation whose outputs and changelog were
	// acknowledged (-1: nothing yet); committed, the last committed one.
	done      atomic.Int64
	committed int64
	next      int64 // the offset after the last observation applied
	// pending are the providers changed since the last changelog write, in order; their
	// outputs are acknowledged. The changelog is written every CommitInterval (or sooner
	// when many are pending), as Kafka Streams flushes its caches on commit: once per
	// provider per interval however many of its records came.
	pending   map[enforce.Key]bool
	order     []enforce.Key
	lastFlush time.Time
}

// maxPending bounds the providers whose changelog write may wait for the interval.
const maxPending = 4096

func (e *Enforcer) generation(ctx, gctx, graceful context.Context, gen *kafka.Generation, closeGroup func()) {
	stop, cancelStop := generationStop(ctx, gctx)
	defer cancelStop()
	var owners []*owner
	var names []string
	for _, a := range gen.Assignments[e.topic] {
		o := &owner{e: e, part: a.ID, keys: map[enforce.Key]map[string]int64{}, committed: a.Offset, next: a.Offset}
		o.done.Store(-1)
		owners = append(owners, o)
		names = append(names, fmt.Sprintf("%d@%s", a.ID, offsetString(a.Offset)))
	}
	sort.Slice(owners, func(i, j int) bool { return owners[i].part < owners[j].part })
	e.mu.Lock()
	e.inGen, e.rebuilding = true, len(owners)
	for _, o := range owners {
		e.owned[o.part] = o
	}
	e.mu.Unlock()
	e.log.Info("enforcement partitions assigned", "generation", gen.ID, "partitions", strings.Join(names, " "))
	// send outlives stop, so that the batch in hand finishes, until the drain deadline.
	send, cancelSend := context.WithCancel(context.Background())
	defer cancelSend()
	var wg sync.WaitGroup
	for _, o := range owners {
		wg.Go(func() { o.run(stop, send) })
	}
	commitDone := commitEvery(stop, e.cfg.CommitInterval, func() {
		if err := e.commit(gen, owners); err != nil {
			e.stats.commitErrors.Add(1)
			e.log.Warn("enforcement commit failed, retrying at the next interval", "err", err)
		}
	})
	<-stop.Done()
	<-commitDone
	shutdown := ctx.Err() != nil
	drain, cancelDrain := context.WithTimeout(graceful, e.cfg.RebalanceTimeout/2)
	if shutdown {
		drain, cancelDrain = context.WithCancel(graceful)
	}
	defer cancelDrain()
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-drain.Done():
		e.log.Error("enforcement drain deadline reached: abandoning unacknowledged writes; the new owner replays them from the changelog")
		cancelSend()
		<-drained
	}
	var err error
	for attempt := range 3 {
		if err = e.commit(gen, owners); err == nil {
			break
		}
		e.stats.commitErrors.Add(1)
		if attempt < 2 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if err != nil {
		e.log.Error("final enforcement commit failed: the next owner reads the changelog and skips what it includes", "err", err)
	}
	// The partitions may go to another member: forget their providers (they are
	// rebuilt from the changelog if they come back).
	e.mu.Lock()
	for _, o := range owners {
		keys := make([]enforce.Key, 0, len(o.keys))
		for k := range o.keys {
			keys = append(keys, k)
		}
		e.st.Forget(keys...)
		delete(e.owned, o.part)
	}
	e.inGen, e.rebuilding = false, 0
	e.mu.Unlock()
	e.log.Info("enforcement partitions released", "generation", gen.ID)
	if shutdown {
		go closeGroup()
		select {
		case <-gctx.Done():
		case <-time.After(e.cfg.ShutdownTimeout):
		}
	}
}

func (e *Enforcer) commit(gen *kafka.Generation, owners []*owner) error {
	offsets := map[int]int64{}
	for _, o := range owners {
		if d := o.done.Load(); d >= 0 && d != o.committed {
			offsets[o.part] = d
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	if err := gen.CommitOffsets(map[string]map[int]int64{e.topic: offsets}); err != nil {
		return err
	}
	e.stats.commits.Add(1)
	for _, o := range owners {
		if d, ok := offsets[o.part]; ok {
			o.committed = d
		}
	}
	return nil
}

// run rebuilds the partition's providers from the changelog, then applies its
// observations in order until stop.
func (o *owner) run(stop, send context.Context) {
	e := o.e
	log := e.log.With("partition", o.part)
	bo := newBackoff(200*time.Millisecond, 5*time.Second)
	for {
		err := o.rebuild(stop, log)
		if err == nil {
			break
		}
		if stop.Err() != nil {
			return
		}
		d := bo.next()
		lvl := slog.LevelError
		if transient(err) {
			lvl = slog.LevelWarn // a broker or leader moving: time cures it
		}
		log.Log(stop, lvl, "cannot rebuild the providers of the partition from the changelog; its observations wait", "changelog", e.changelog, "err", err, "retry_in", d)
		if !sleep(stop, d) {
			return
		}
	}
	e.mu.Lock()
	e.rebuilding--
	e.mu.Unlock()
	start := o.next
	if start < 0 {
		start = kafka.FirstOffset
	}
	rd, err := NewPartitionReader(e.cfg.Brokers, e.dialer, e.topic, o.part, start, ReaderSettings{
		MaxBytes: e.cfg.FetchMaxBytes, MaxWait: e.cfg.FetchMaxWait, QueueCapacity: min(e.cfg.BatchRecords, 1000)},
		kafkaLogger(log, slog.LevelWarn, func() bool { return stop.Err() != nil }))
	if err != nil {
		log.Error("cannot read the enforcement partition", "err", err)
		return
	}
	defer func() { go rd.Close() }()
	in := make(chan kafka.Message, e.cfg.BatchRecords)
	go func() {
		defer close(in)
		for {
			m, err := rd.FetchMessage(stop)
			if err != nil {
				if stop.Err() != nil {
					return
				}
				log.Warn("enforcement fetch failed, retrying", "err", err)
				if !sleep(stop, 100*time.Millisecond) {
					return
				}
				continue
			}
			select {
			case in <- m:
			case <-stop.Done():
				return
			}
		}
	}()
	var tick <-chan time.Time
	if e.cfg.EnforcementSweep > 0 {
		t := time.NewTicker(e.cfg.EnforcementSweep)
		defer t.Stop()
		tick = t.C
	}
	flushTick := time.NewTicker(e.cfg.CommitInterval)
	defer flushTick.Stop()
	o.lastFlush = time.Now()
	for {
		var batch []kafka.Message
		select {
		case <-stop.Done():
			o.flushChangelog(send, log) // what is applied and acknowledged, so that the next owner need not replay it
			return
		case <-flushTick.C:
			if !o.flushChangelog(send, log) {
				return
			}
			continue
		case <-tick:
			if !o.sweep(send, log) {
				return
			}
			continue
		case m, ok := <-in:
			if !ok {
				o.flushChangelog(send, log)
				return
			}
			batch = append(batch, m)
		}
	more:
		for len(batch) < e.cfg.BatchRecords {
			select {
			case m, ok := <-in:
				if !ok {
					break more
				}
				batch = append(batch, m)
			default:
				break more
			}
		}
		if !o.apply(send, batch, log) {
			return
		}
	}
}

// rebuild reads the changelog partition up to its end and installs the newest state of
// each provider.
func (o *owner) rebuild(stop context.Context, log *slog.Logger) error {
	e := o.e
	began := time.Now()
	latest, n, err := readChangelog(stop, e.cfg.Brokers, e.dialer, e.changelog, o.part, log)
	if err != nil {
		return err
	}
	o.keys = map[enforce.Key]map[string]int64{}
	for _, v := range latest {
		if err := e.st.Put(v.Entry); err != nil {
			return err
		}
		k := enforce.Key{Provider: v.Entry.Provider, Jurisdiction: v.Entry.Jurisdiction}
		o.keys[k] = v.Included
		if v.Included == nil {
			o.keys[k] = map[string]int64{}
		}
		o.streamTime = max(o.streamTime, v.Entry.LastSeenNS)
	}
	e.stats.rebuilt.Add(int64(len(latest)))
	if len(latest) == 0 && o.next > 0 {
		// The group has applied observations here, yet the changelog holds no provider: it
		// was deleted or recreated (or every observation was unreadable). The history
		// before the committed offset is not in this state: say so loudly.
		log.Error("the changelog partition is empty but the enforcement group committed observations before: the providers' history before that offset is lost; "+
			"restore the changelog topic, or reset the enforcement group to the earliest offset to recount what the enforcement topic still holds",
			"changelog", e.changelog, "committed", o.next)
	}
	log.Info("enforcement partition rebuilt from the changelog", "providers", len(latest), "changelog_records", n,
		"resume", offsetString(o.next), "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// readChangelog reads partition part of a changelog topic up to its end and returns the
// newest record of each key, and how many records it read.
func readChangelog(ctx context.Context, brokers []string, dialer *kafka.Dialer, topic string, part int, log *slog.Logger) (map[string]*changelogValue, int64, error) {
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: &kafka.Transport{DialTimeout: 5 * time.Second}}
	res, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.FirstOffsetOf(part), kafka.LastOffsetOf(part)}}})
	if err != nil {
		return nil, 0, err
	}
	var first, end int64 = -1, -1
	for _, po := range res.Topics[topic] {
		if po.Partition != part {
			continue
		}
		if po.Error != nil {
			return nil, 0, po.Error
		}
		first, end = po.FirstOffset, po.LastOffset
	}
	if first < 0 || end < 0 {
		return nil, 0, fmt.Errorf("no offsets for %s/%d", topic, part)
	}
	latest := map[string]*changelogValue{}
	if end <= first {
		return latest, 0, nil
	}
	rd, err := NewPartitionReader(brokers, dialer, topic, part, first, ReaderSettings{
		MaxBytes: 4 << 20, MaxWait: 1500 * time.Millisecond, QueueCapacity: 1000}, kafkaLogger(log, slog.LevelWarn))
	if err != nil {
		return nil, 0, err
	}
	defer func() { go rd.Close() }()
	var n int64
	for {
		// A stalled read (broker gone) ends the attempt; the caller retries.
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := rd.FetchMessage(fctx)
		cancel()
		if err != nil {
			return nil, n, fmt.Errorf("reading %s/%d towards offset %d: %w", topic, part, end, err)
		}
		n++
		if m.Value == nil {
			delete(latest, string(m.Key)) // a tombstone
		} else {
			var v changelogValue
			dec := json.NewDecoder(bytes.NewReader(m.Value))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil || v.Format != ChangelogFormat {
				return nil, n, fmt.Errorf("%s/%d offset %d (key %s): not a changelog record this version reads (format %q): %v; the history is never reset silently: fix or remove it",
					topic, part, m.Offset, m.Key, v.Format, err)
			}
			latest[string(m.Key)] = &v
		}
		if m.Offset >= end-1 {
			return latest, n, nil
		}
	}
}

// LoadChangelog puts into st the newest state of every provider in an enforcement
// changelog topic (every partition, read to its end): the whole picture that the `run`
// instances each hold a part of. It returns how many providers it put.
func LoadChangelog(ctx context.Context, brokers []string, topic string, st *enforce.State, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.Default()
	}
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: &kafka.Transport{DialTimeout: 5 * time.Second}}
	parts, err := topicPartitions(ctx, cl, topic)
	if err != nil {
		return 0, fmt.Errorf("stream: changelog %s: %w", topic, err)
	}
	if parts[topic] == 0 {
		return 0, fmt.Errorf("stream: changelog topic %s not found on %s", topic, strings.Join(brokers, ","))
	}
	dialer := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true}
	n := 0
	for p := range max(parts[topic], 0) {
		latest, _, err := readChangelog(ctx, brokers, dialer, topic, p, log)
		if err != nil {
			return n, fmt.Errorf("stream: %w", err)
		}
		for _, v := range latest {
			if err := st.Put(v.Entry); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// apply applies a batch of observations, writes their outputs, then the changelog of
// the providers they changed, then marks the batch done. It returns false when send
// ended before the writes were acknowledged (the batch is abandoned, uncommitted).
func (o *owner) apply(send context.Context, batch []kafka.Message, log *slog.Logger) bool {
	e := o.e
	var outs []kafka.Message
	var incidents int64
	dirty := map[enforce.Key]bool{}
	var dirtyOrder []enforce.Key
	for _, m := range batch {
		w, ob, err := decodeObservation(m.Value)
		if err != nil {
			e.stats.bad.Add(1)
			log.Error("enforcement observation not readable: sent to the dead-letter topic", "offset", m.Offset, "err", err)
			outs = append(outs, o.deadLetter(m, err))
			continue
		}
		k := enforce.Key{Provider: ob.Provider, Jurisdiction: ob.Jurisdiction}
		src := position(w.Topic, w.Partition)
		inc := o.keys[k]
		if inc != nil && inc[src] > w.Offset {
			e.stats.replayed.Add(1) // its outputs were acknowledged before the state that includes it
			continue
		}
		res := e.st.ApplyObservation(ob)
		e.stats.applied.Add(1)
		if w.TimeNS != 0 {
			o.streamTime = max(o.streamTime, w.TimeNS)
		}
		if !res.Untracked {
			if inc == nil {
				inc = map[string]int64{}
				o.keys[k] = inc
			}
			inc[src] = w.Offset + 1
			if !dirty[k] {
				dirty[k] = true
				dirtyOrder = append(dirtyOrder, k)
			}
		}
		// As scan writes them: de-escalations, the record's incidents, escalations.
		for i := range res.Changes {
			if c := &res.Changes[i]; c.Direction == enforce.Deescalate {
				outs = o.event(outs, e.st.Event(c))
			}
		}
		for _, ev := range res.Incidents {
			outs = o.incident(outs, ev)
		}
		if e.cfg.IncidentsTopic != "" {
			incidents += int64(len(res.Incidents))
		}
		for i := range res.Changes {
			if c := &res.Changes[i]; c.Direction == enforce.Escalate {
				outs = o.event(outs, e.st.Event(c))
			}
		}
		e.stats.changes.Add(int64(len(res.Changes)))
	}
	o.next = batch[len(batch)-1].Offset + 1
	return o.flush(send, outs, incidents, dirtyOrder, log)
}

// flush writes outs and waits for their acknowledgement, then counts keys as changed;
// the changelog follows at the interval (flushChangelog). It returns false when send
// ended first.
// incidents counts the incidents (not level changes) among outs.
func (o *owner) flush(send context.Context, outs []kafka.Message, incidents int64, keys []enforce.Key, log *slog.Logger) bool {
	e := o.e
	if len(outs) > 0 {
		if err := e.write(send, e.out, outs, log); err != nil {
			return false
		}
		if e.OnIncidentsAcked != nil && incidents > 0 {
			e.OnIncidentsAcked(incidents)
		}
	}
	if o.pending == nil {
		o.pending = map[enforce.Key]bool{}
	}
	for _, k := range keys {
		if !o.pending[k] {
			o.pending[k] = true
			o.order = append(o.order, k)
		}
	}
	if len(o.pending) >= maxPending || time.Since(o.lastFlush) >= e.cfg.CommitInterval {
		return o.flushChangelog(send, log)
	}
	return true
}

// flushChangelog writes the state of the pending providers, with the input offsets it
// includes, to the changelog, then marks every observation applied so far done (to be
// committed). It returns false when send ended first.
func (o *owner) flushChangelog(send context.Context, log *slog.Logger) bool {
	e := o.e
	o.lastFlush = time.Now()
	if len(o.order) > 0 {
		chg := make([]kafka.Message, 0, len(o.order))
		for _, k := range o.order {
			es, ok := e.st.Entry(k)
			if !ok {
				continue
			}
			v, err := json.Marshal(changelogValue{Format: ChangelogFormat, Partition: o.part, Offset: o.next, Included: o.keys[k], Entry: es})
			if err != nil {
				panic(err) // numbers, strings and slices of them
			}
			chg = append(chg, kafka.Message{Topic: e.changelog, Partition: o.part, Key: changelogKey(k), Value: v})
		}
		if err := e.write(send, e.chg, chg, log); err != nil {
			return false
		}
		e.stats.changelogWrites.Add(int64(len(chg)))
		clear(o.pending)
		o.order = o.order[:0]
	}
	if o.next >= 0 {
		o.done.Store(o.next)
	}
	return true
}

// sweep de-escalates the partition's providers whose compliant period has passed at the
// partition's stream time (the newest record time seen, never past the clock).
func (o *owner) sweep(send context.Context, log *slog.Logger) bool {
	e := o.e
	if o.streamTime == 0 || len(o.keys) == 0 {
		return true
	}
	keys := make([]enforce.Key, 0, len(o.keys))
	for k := range o.keys {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b enforce.Key) int {
		if c := strings.Compare(a.Provider, b.Provider); c != 0 {
			return c
		}
		return strings.Compare(a.Jurisdiction, b.Jurisdiction)
	})
	at := min(o.streamTime, e.now().UnixNano())
	changes := e.st.SweepKeys(time.Unix(0, at), keys)
	if len(changes) == 0 {
		return true
	}
	var outs []kafka.Message
	var changed []enforce.Key
	seen := map[enforce.Key]bool{}
	for i := range changes {
		c := &changes[i]
		outs = o.event(outs, e.st.Event(c))
		if k := (enforce.Key{Provider: c.Provider, Jurisdiction: c.Jurisdiction}); !seen[k] {
			seen[k] = true
			changed = append(changed, k)
		}
	}
	e.stats.changes.Add(int64(len(changes)))
	log.Info("de-escalated providers that stopped sending", "changes", len(changes), "at", time.Unix(0, at).UTC())
	return o.flush(send, outs, 0, changed, log)
}

// changelogKey is the changelog key of a provider in a jurisdiction: ["provider","jurisdiction"].
func changelogKey(k enforce.Key) []byte {
	b, _ := json.Marshal([2]string{k.Provider, k.Jurisdiction})
	return b
}

func (o *owner) incident(outs []kafka.Message, ev incident.Event) []kafka.Message {
	e := o.e
	e.stats.incidents.Add(1)
	if e.cfg.IncidentsTopic == "" {
		return outs
	}
	var k []byte
	if ev.Key != "" {
		k = []byte(ev.Key)
	}
	return append(outs, kafka.Message{Topic: e.cfg.IncidentsTopic, Key: k, Value: ev.JSON, Headers: []kafka.Header{
		{Key: HeaderID, Value: []byte(ev.ID)}, {Key: HeaderContentType, Value: []byte("application/cloudevents+json")}}})
}

func (o *owner) event(outs []kafka.Message, ev incident.Event) []kafka.Message {
	e := o.e
	if e.cfg.IncidentsTopic == "" {
		return outs
	}
	return append(outs, kafka.Message{Topic: e.cfg.IncidentsTopic, Key: []byte(ev.Key), Value: ev.JSON, Headers: []kafka.Header{
		{Key: HeaderID, Value: []byte(ev.ID)}, {Key: HeaderContentType, Value: []byte("application/cloudevents+json")}}})
}

// ReasonBadObservation is the dead-letter reason of an enforcement observation that
// could not be read.
const ReasonBadObservation = "bad_observation"

func (o *owner) deadLetter(m kafka.Message, err error) kafka.Message {
	e := o.e
	v := m.Value
	h := []kafka.Header{
		{Key: HeaderID, Value: []byte("enforcement/" + strconv.Itoa(o.part) + "/" + strconv.FormatInt(m.Offset, 10))},
		{Key: HeaderReason, Value: []byte(ReasonBadObservation)},
		{Key: HeaderError, Value: []byte(truncate(err.Error(), 1024))},
		{Key: HeaderSourceTopic, Value: []byte(e.topic)},
		{Key: HeaderSourcePartition, Value: []byte(strconv.Itoa(o.part))},
		{Key: HeaderSourceOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		{Key: HeaderOriginalBytes, Value: []byte(strconv.Itoa(len(v)))},
	}
	if len(v) > e.cfg.DLQMaxBytes {
		v = v[:e.cfg.DLQMaxBytes]
		h = append(h, kafka.Header{Key: HeaderTruncated, Value: []byte("true")})
	}
	return kafka.Message{Topic: e.cfg.DLQTopic, Key: m.Key, Value: v, Headers: h}
}

// write writes msgs with w, retrying what failed (in order) until acknowledged or ctx ends.
func (e *Enforcer) write(ctx context.Context, w *kafka.Writer, msgs []kafka.Message, log *slog.Logger) error {
	return writeAll(ctx, w, msgs, func(msgs []kafka.Message, err error, retryIn time.Duration) {
		e.stats.writeErrors.Add(1)
		log.Warn("enforcement write failed, retrying; the offset stays uncommitted", "messages", len(msgs), "err", err, "retry_in", retryIn)
	})
}

// RegisterMetrics registers the enforcer's counters on reg (the providers' levels are
// exported by metrics.RegisterEnforcement from the State).
func (e *Enforcer) RegisterMetrics(reg prometheus.Registerer) error {
	c := &e.stats
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "aigcwatch", Subsystem: "enforcement", Name: name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	cs := []prometheus.Collector{
		counter("observations_applied_total", "Judged records counted towards their provider's enforcement state by this instance.", &c.applied),
		counter("observations_replayed_total", "Observations skipped because the provider's state already included them (replays after a crash or rebalance).", &c.replayed),
		counter("observations_bad_total", "Observations that could not be read, sent to the dead-letter topic.", &c.bad),
		counter("level_changes_total", "Enforcement level changes written by this instance.", &c.changes),
		counter("changelog_writes_total", "Provider states written to the enforcement changelog.", &c.changelogWrites),
		counter("rebuilt_providers_total", "Provider states read back from the changelog when partitions were assigned.", &c.rebuilt),
		counter("write_errors_total", "Failed enforcement write attempts (each retried).", &c.writeErrors),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "aigcwatch", Subsystem: "enforcement", Name: "partitions",
			Help: "Partitions of the enforcement topic this instance owns (their providers' state)."},
			func() float64 { return float64(e.Stats().Partitions) }),
	}
	for _, col := range cs {
		if err := reg.Register(col); err != nil {
			return err
		}
	}
	return nil
}
