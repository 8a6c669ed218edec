package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/route"
)

// KafkaConfig configures delivery from the incidents topic.
type KafkaConfig struct {
	Brokers []string
	Topic   string // the incidents topic `aigcwatch run` writes
	// GroupPrefix names the consumer groups: GroupPrefix + "." + receiver, one per
	// receiver, so each receiver has its own committed position.
	GroupPrefix  string
	ParkingTopic string // where undeliverable incidents go, with their last error in headers
	ClientID     string
	// MaxInFlight bounds the incidents fetched and not yet acknowledged, per receiver.
	MaxInFlight int
	// CommitInterval is how often acknowledged offsets are committed.
	CommitInterval time.Duration
	SessionTimeout time.Duration
	// StartOffset is where a group that never committed starts: "first" (every incident
	// the topic holds; the default) or "last" (only new ones).
	StartOffset string
	// DeliveredTopic, if set, shares delivered ids between the processes delivering from
	// one topic (SharedDedup, ConsumeDelivered): a compacted topic. "": each process keeps
	// its own.
	DeliveredTopic string
}

// Defaults of KafkaConfig.
var DefaultKafkaConfig = KafkaConfig{
	Brokers:        []string{"127.0.0.1:9092"},
	Topic:          "aigcwatch.incidents",
	GroupPrefix:    "aigcwatch-deliver",
	ParkingTopic:   "aigcwatch.incidents.parked",
	ClientID:       "aigcwatch-deliver",
	MaxInFlight:    10000,
	CommitInterval: 500 * time.Millisecond,
	SessionTimeout: 10 * time.Second,
	StartOffset:    "first",
}

// Headers of a parked incident on the parking topic (the value is the event as read).
const (
	HeaderReceiver = "aigcwatch-receiver"
	HeaderError    = "aigcwatch-error"
	HeaderStatus   = "aigcwatch-status"
	HeaderAttempts = "aigcwatch-attempts"
	HeaderSince    = "aigcwatch-since"
	HeaderParkedAt = "aigcwatch-parked-at"
)

// Group is the consumer group of receiver.
func (c KafkaConfig) Group(receiver string) string { return c.GroupPrefix + "." + receiver }

// partState tracks one partition's offsets: which are fetched and not yet acknowledged,
// and the next to fetch; the commit point is the lowest unacknowledged offset.
type partState struct {
	pending   map[int64]int
	next      int64
	committed int64
}

type offsets struct {
	mu    sync.Mutex
	parts map[int]*partState
}

func (o *offsets) add(p int, off int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := o.parts[p]
	if st == nil {
		st = &partState{pending: map[int64]int{}, committed: -1}
		o.parts[p] = st
	}
	st.pending[off]++
	st.next = max(st.next, off+1)
}

func (o *offsets) done(p int, off int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := o.parts[p]
	if st.pending[off]--; st.pending[off] <= 0 {
		delete(st.pending, off)
	}
}

// commitPoints returns, per partition, the offset to commit if it moved.
func (o *offsets) commitPoints() map[int]int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[int]int64{}
	for p, st := range o.parts {
		point := st.next
		for off := range st.pending {
			point = min(point, off)
		}
		if point > st.committed {
			out[p] = point
		}
	}
	return out
}

func (o *offsets) committed(p int, off int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.parts[p].committed = max(o.parts[p].committed, off)
}

// Consume reads the incidents topic in receiver's consumer group and submits each
// incident to w (which must be running), committing an offset only once every incident
// before it in its partition was acknowledged (delivered, a duplicate, not for this
// receiver, or parked). It returns when ctx ends, after a last commit; what was not
// acknowledged is read again by the next consumer of the group.
func Consume(ctx context.Context, cfg KafkaConfig, receiver string, w *Worker, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "deliver", "receiver", receiver)
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultKafkaConfig.MaxInFlight
	}
	if cfg.CommitInterval <= 0 {
		cfg.CommitInterval = DefaultKafkaConfig.CommitInterval
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultKafkaConfig.SessionTimeout
	}
	start := kafka.FirstOffset
	if cfg.StartOffset == "last" {
		start = kafka.LastOffset
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           cfg.Brokers,
		GroupID:           cfg.Group(receiver),
		Topic:             cfg.Topic,
		Dialer:            &kafka.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second, DualStack: true},
		MinBytes:          1,
		MaxBytes:          4 << 20,
		MaxWait:           1500 * time.Millisecond,
		StartOffset:       start,
		CommitInterval:    0, // commits are ours, synchronous, after acknowledgement
		SessionTimeout:    cfg.SessionTimeout,
		HeartbeatInterval: time.Second,
		RebalanceTimeout:  30 * time.Second,
		ErrorLogger:       kafka.LoggerFunc(func(f string, a ...any) { log.Debug("kafka: " + fmt.Sprintf(f, a...)) }),
	})
	defer r.Close()
	offs := &offsets{parts: map[int]*partState{}}
	tokens := make(chan struct{}, cfg.MaxInFlight)
	commit := func(ctx context.Context) {
		for p, off := range offs.commitPoints() {
			if err := r.CommitMessages(ctx, kafka.Message{Topic: cfg.Topic, Partition: p, Offset: off - 1}); err != nil {
				log.Warn("commit failed; will retry", "partition", p, "offset", off, "err", err)
				continue
			}
			offs.committed(p, off)
		}
	}
	var wg sync.WaitGroup
	cctx, stopCommits := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() {
		t := time.NewTicker(cfg.CommitInterval)
		defer t.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case <-t.C:
				commit(cctx)
			}
		}
	})
	defer func() {
		stopCommits()
		wg.Wait()
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		commit(fctx)
	}()
	for {
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		m, err := r.FetchMessage(ctx)
		if err != nil {
			<-tokens
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("fetch failed; retrying", "err", err)
			if !sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		p, off := m.Partition, m.Offset
		offs.add(p, off)
		it := &Item{Event: m.Value, Since: m.Time, Ack: func(Outcome) { offs.done(p, off); <-tokens }}
		if it.Since.IsZero() {
			it.Since = time.Now()
		}
		if err := w.Submit(ctx, it); err != nil {
			return nil
		}
	}
}

// KafkaParker parks incidents on the parking topic: key the incident id, value the
// event as read, the receiver, last error, status, attempts and times in headers. Park
// returns once the broker has them (acks from all in-sync replicas).
type KafkaParker struct {
	w *kafka.Writer
}

// NewKafkaParker returns a parker writing to cfg.ParkingTopic. Close it when done.
func NewKafkaParker(cfg KafkaConfig) *KafkaParker {
	return &KafkaParker{w: &kafka.Writer{
		Addr:                   kafka.TCP(cfg.Brokers...),
		Topic:                  cfg.ParkingTopic,
		Balancer:               kafka.Murmur2Balancer{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           5 * time.Millisecond,
		MaxAttempts:            5,
		AllowAutoTopicCreation: false,
		Transport:              &kafka.Transport{ClientID: cfg.ClientID, DialTimeout: 5 * time.Second},
	}}
}

// Park implements Parker.
func (k *KafkaParker) Park(ctx context.Context, ps []ParkedIncident) error {
	msgs := make([]kafka.Message, len(ps))
	for i, p := range ps {
		msgs[i] = kafka.Message{Key: []byte(p.ID), Value: p.Event, Headers: []kafka.Header{
			{Key: HeaderReceiver, Value: []byte(p.Receiver)},
			{Key: HeaderError, Value: []byte(truncate(p.Error, 4096))},
			{Key: HeaderStatus, Value: []byte(strconv.Itoa(p.Status))},
			{Key: HeaderAttempts, Value: []byte(strconv.Itoa(p.Attempts))},
			{Key: HeaderSince, Value: []byte(p.Since.UTC().Format(time.RFC3339Nano))},
			{Key: HeaderParkedAt, Value: []byte(p.At.UTC().Format(time.RFC3339Nano))},
		}}
	}
	if err := k.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("deliver: parking topic %s: %w", k.w.Topic, err)
	}
	return nil
}

// Close flushes and closes the writer.
func (k *KafkaParker) Close() error { return k.w.Close() }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ConsumeInto reads the whole incidents topic in group and hands each batch of events to
// put (the history store's Insert), committing after put succeeds. A scaled-out `run`
// gives every instance its own group, so every instance's history holds every incident.
// It returns when ctx ends.
func ConsumeInto(ctx context.Context, cfg KafkaConfig, group string, put func(context.Context, [][]byte) error, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "history")
	return consumeBatches(ctx, cfg, cfg.Topic, group, 512, 5*time.Millisecond, log, func(batch []kafka.Message) bool {
		events := make([][]byte, len(batch))
		for i, m := range batch {
			events[i] = m.Value
		}
		for {
			err := put(ctx, events)
			if err == nil || errors.Is(err, incident.ErrNotIncident) {
				if err != nil {
					log.Warn("events that are not incidents were not stored", "err", err)
				}
				return true
			}
			log.Error("history store failed; retrying", "err", err)
			if !sleep(ctx, time.Second) {
				return false
			}
		}
	})
}

// consumeBatches reads topic in group from its first offset (for a new group) and hands
// what is already buffered, up to most messages gathered for at most linger, to handle,
// committing the batch after handle returns true; handle returns false only when ctx
// ended (the batch is read again by the next owner). It returns nil when ctx ends.
func consumeBatches(ctx context.Context, cfg KafkaConfig, topic, group string, most int, linger time.Duration,
	log *slog.Logger, handle func([]kafka.Message) bool) error {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, GroupID: group, Topic: topic, MinBytes: 1, MaxBytes: 4 << 20,
		MaxWait: 1500 * time.Millisecond, StartOffset: kafka.FirstOffset, SessionTimeout: max(cfg.SessionTimeout, time.Second), HeartbeatInterval: time.Second,
		Dialer: &kafka.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second, DualStack: true}})
	defer r.Close()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("fetch failed; retrying", "topic", topic, "err", err)
			if !sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		batch := []kafka.Message{m}
		// Take what is already buffered, briefly, so the handling is batched.
		for len(batch) < most {
			fctx, cancel := context.WithTimeout(ctx, linger)
			m, err := r.FetchMessage(fctx)
			cancel()
			if err != nil {
				break
			}
			batch = append(batch, m)
		}
		if !handle(batch) {
			return nil
		}
		if err := r.CommitMessages(ctx, batch...); err != nil && ctx.Err() == nil {
			log.Warn("commit failed", "topic", topic, "err", err)
		}
	}
}

// RunKafka delivers from the incidents topic to every receiver of the routing tree: one
// Worker and one consumer group per receiver. A reload that adds a receiver starts its
// delivery; one that removes a receiver stops it (its group keeps its position). It
// returns when ctx ends.
func RunKafka(ctx context.Context, cfg KafkaConfig, o Options) error {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	Supervise(ctx, o.Tree, func(ctx context.Context, name string) {
		w := NewWorker(name, o)
		var wg sync.WaitGroup
		wg.Go(func() { _ = w.Run(ctx) })
		wg.Go(func() { _ = Consume(ctx, cfg, name, w, o.Log) })
		wg.Wait()
	})
	return nil
}

// Supervise runs start once for each receiver of the tree, each in its own goroutine with
// its own context, and follows reloads (tree is polled every second): a new receiver is
// started, a removed one's context is cancelled. It returns when ctx ends and every start
// has returned.
func Supervise(ctx context.Context, tree func() *route.Tree, start func(ctx context.Context, name string)) {
	type running struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	live := map[string]running{}
	var last *route.Tree
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if cur := tree(); cur != last {
			last = cur
			for name, r := range live {
				if cur.Receivers[name] == nil {
					r.cancel()
					<-r.done
					delete(live, name)
				}
			}
			for _, name := range cur.Names {
				if _, ok := live[name]; ok {
					continue
				}
				rctx, cancel := context.WithCancel(ctx)
				r := running{cancel: cancel, done: make(chan struct{})}
				live[name] = r
				go func() {
					defer close(r.done)
					start(rctx, name)
				}()
			}
		}
		select {
		case <-ctx.Done():
			for _, r := range live {
				r.cancel()
				<-r.done
			}
			return
		case <-t.C:
		}
	}
}
