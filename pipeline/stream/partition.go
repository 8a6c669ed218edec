package stream

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/internal/jsonw"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Header names set on outputs.
const (
	HeaderID              = "aigcwatch-id"           // deterministic id of the output, for deduplication
	HeaderReason          = "aigcwatch-reason"       // dead letters: record.Reason* or ReasonOutputTooLarge
	HeaderField           = "aigcwatch-field"        // dead letters: JSON path of the field at fault
	HeaderError           = "aigcwatch-error"        // dead letters: the full error message
	HeaderSourceTopic     = "aigcwatch-source-topic" // dead letters: where the record was read
	HeaderSourcePartition = "aigcwatch-source-partition"
	HeaderSourceOffset    = "aigcwatch-source-offset"
	HeaderOriginalBytes   = "aigcwatch-original-bytes" // dead letters: length of the original value
	HeaderTruncated       = "aigcwatch-truncated"      // dead letters: "true" when the value was cut to dlq_max_bytes
	HeaderContentType     = "content-type"             // incidents: application/cloudevents+json (structured mode)
)

// ReasonOutputTooLarge is the dead-letter reason of a record whose verdict or incident
// would exceed the broker's message size limit.
const ReasonOutputTooLarge = "output_too_large"

// partition is the work on one assigned partition during one generation: a fetcher, a
// judge and a sender connected by bounded channels, so that judging batch k+1 overlaps
// writing batch k while order is kept.
type partition struct {
	r      *Runner
	topic  string
	id     int
	start  int64
	prefix string // topic/partition/ for output ids

	// done is the offset after the last record whose outputs, and those of every record
	// before it, were acknowledged: the offset to commit. -1 until the first batch.
	done atomic.Int64
	// committed is the last committed offset; owned by the generation's committer.
	committed int64
	// hwm is the high watermark of the last fetched message (-1: none yet), for the lag
	// when the broker cannot be asked.
	hwm atomic.Int64

	// Rulesets this partition wrote to the rulesets topic (owned by its judge): the
	// first verdict naming a ruleset is preceded by it in the same batch, so it is
	// acknowledged before the verdict's offset is committed.
	lastRuleset *rules.Ruleset
	published   map[*rules.Ruleset]bool
}

// batch is consecutive records of one partition, judged, with their outputs in order.
type batch struct {
	msgs      []kafka.Message
	incidents int   // messages to the incidents topic among msgs
	n         int   // in-flight tokens held: input messages, duplicates included
	records   int   // input records judged
	last      int64 // offset of the last input record
	times     []time.Time

	// arena and hdrs hold the output messages' small byte strings (keys, ids) and
	// headers: a few allocations per batch instead of four per record.
	arena []byte
	hdrs  []kafka.Header

	// counts are the batch's additions to the Runner's output counters, added once per
	// batch (countOutputs): an atomic add per record on counters every partition's
	// goroutine shares moves their cache line between the cores for each record.
	counts outputCounts
}

// outputCounts are a batch's additions to the Runner's output counters.
type outputCounts struct{ verdicts, compact, unwritten, incidents, observations int64 }

// countOutputs adds the batch's counts to the Runner's counters.
func (b *batch) countOutputs(c *counters) {
	add := func(to *atomic.Int64, n int64) {
		if n != 0 {
			to.Add(n)
		}
	}
	k := &b.counts
	add(&c.verdicts, k.verdicts)
	add(&c.compact, k.compact)
	add(&c.allowUnwritten, k.unwritten)
	add(&c.incidents, k.incidents)
	add(&c.observations, k.observations)
	*k = outputCounts{} // counted once: an abort after the send's attempt adds nothing
}

// bytes returns a copy of the concatenation of s and, when off >= 0, its decimal
// digits, in the batch's arena; its capacity is its length.
func (b *batch) bytes(s string, off int64) []byte {
	if cap(b.arena)-len(b.arena) < len(s)+20 {
		b.arena = make([]byte, 0, max(8<<10, len(s)+20))
	}
	n := len(b.arena)
	b.arena = append(b.arena, s...)
	if off >= 0 {
		b.arena = strconv.AppendInt(b.arena, off, 10)
	}
	return b.arena[n:len(b.arena):len(b.arena)]
}

// headers returns a copy of h in the batch's header store; its capacity is its length.
func (b *batch) headers(h ...kafka.Header) []kafka.Header {
	if cap(b.hdrs)-len(b.hdrs) < len(h) {
		b.hdrs = make([]kafka.Header, 0, max(256, len(h)))
	}
	n := len(b.hdrs)
	b.hdrs = append(b.hdrs, h...)
	return b.hdrs[n:len(b.hdrs):len(b.hdrs)]
}

func (p *partition) run(stop, send context.Context) {
	r := p.r
	log := r.log.With("topic", p.topic, "partition", p.id)
	p.prefix = p.topic + "/" + strconv.Itoa(p.id) + "/"
	rd, err := NewPartitionReader(r.cfg.Brokers, r.dialer, p.topic, p.id, p.start, r.readerSettings(),
		kafkaLogger(log, slog.LevelWarn, func() bool { return stop.Err() != nil }))
	if err != nil {
		log.Error("cannot read partition", "err", err)
		return
	}
	// Closing waits for the reader's fetch in progress (up to FetchMaxWait): do not hold
	// the revoke or the shutdown for it.
	defer func() { go rd.Close() }()
	fetched := make(chan kafka.Message, r.cfg.BatchRecords)
	batches := make(chan *batch, 1)
	go p.fetch(stop, rd, fetched, log)
	go p.judge(stop, fetched, batches, log)
	p.send(send, batches, log)
}

// fetch reads messages in order and hands them on, taking one in-flight token for each:
// when MaxInFlight records are unacknowledged it blocks, and so does the reader behind it.
func (p *partition) fetch(stop context.Context, rd *kafka.Reader, out chan<- kafka.Message, log *slog.Logger) {
	defer close(out)
	r := p.r
	for {
		m, err := rd.FetchMessage(stop)
		if err != nil {
			if stop.Err() != nil {
				return
			}
			r.stats.fetchErrors.Add(1)
			log.Warn("fetch failed, retrying", "err", err)
			if !sleep(stop, 100*time.Millisecond) {
				return
			}
			continue
		}
		p.hwm.Store(m.HighWaterMark)
		select {
		case r.tokens <- struct{}{}:
		case <-stop.Done():
			return
		}
		select {
		case out <- m:
		case <-stop.Done():
			<-r.tokens
			return
		}
	}
}

// judge judges records in batches of what is available (at most BatchRecords). After
// stop it drops what is left: those records are not committed and will be read again.
func (p *partition) judge(stop context.Context, in <-chan kafka.Message, out chan<- *batch, log *slog.Logger) {
	defer close(out)
	r := p.r
	w := r.p.NewWorker()
	w.SkipAllowedJSON = r.cfg.VerdictsMode == VerdictsCompact || r.cfg.VerdictsMode == VerdictsFlagged
	next := int64(-1)
	abort := func(b *batch) {
		b.countOutputs(&r.stats)
		r.release(b.n)
		for range in {
			r.release(1)
		}
	}
	// Output messages a batch is sized for: about two a record (a verdict, sometimes an
	// incident), but in flagged mode most records write nothing, and 2,000 zeroed
	// messages (about 340 KB) a batch were a third of what judging allocated.
	outputsPer := func(records int) int { return 2 * records }
	if r.cfg.VerdictsMode == VerdictsFlagged && !r.passThrough {
		outputsPer = func(records int) int { return max(8, records/32) }
	}
	for m := range in {
		b := &batch{msgs: make([]kafka.Message, 0, outputsPer(min(r.cfg.BatchRecords, len(in)+1)))}
		for {
			b.n++ // the batch holds m's token from here on
			r.stats.fetched.Add(1)
			if next >= 0 && m.Offset < next {
				// Read again after a reconnection: already judged.
				r.stats.refetched.Add(1)
			} else {
				if stop.Err() != nil || !p.judgeOne(stop, w, m, b, log) {
					abort(b)
					return
				}
				next = m.Offset + 1
				b.last = m.Offset
				b.records++
				if r.OnAcked != nil || r.p2v != nil {
					b.times = append(b.times, m.Time)
				}
			}
			if b.n >= r.cfg.BatchRecords {
				break
			}
			var ok bool
			select {
			case m, ok = <-in:
			default:
			}
			if !ok {
				break
			}
		}
		if b.records == 0 {
			r.release(b.n)
			continue
		}
		b.countOutputs(&r.stats)
		select {
		case out <- b:
		case <-stop.Done():
			abort(b)
			return
		}
	}
}

// judgeOne judges m and appends its outputs to b. A pipeline failure (not a bad record:
// those are dead letters) is retried with backoff, never skipped; it returns false only
// when stop ended the wait.
func (p *partition) judgeOne(stop context.Context, w *pipeline.Worker, m kafka.Message, b *batch, log *slog.Logger) bool {
	r := p.r
	if r.passThrough {
		if r.passOutput != nil {
			b.msgs = append(b.msgs, r.passOutput(m))
		} else {
			b.msgs = append(b.msgs, kafka.Message{Topic: r.cfg.VerdictsTopic, Key: m.Key, Value: m.Value})
		}
		return true
	}
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		j, err := w.JudgeAt(stop, m.Value, m.Time) // a record without a time takes its message's
		if err == nil {
			p.outputs(w, m, &j, b)
			return true
		}
		if stop.Err() != nil {
			return false
		}
		r.stats.judgeErrors.Add(1)
		d := bo.next()
		log.Error("judging failed, retrying the record (the partition waits)", "offset", m.Offset, "err", err, "retry_in", d)
		if !sleep(stop, d) {
			return false
		}
	}
}

// outputs appends the messages for one judged record.
func (p *partition) outputs(w *pipeline.Worker, m kafka.Message, j *pipeline.Judgement, b *batch) {
	r := p.r
	if j.Reject != nil {
		id := p.prefix + strconv.FormatInt(m.Offset, 10)
		b.msgs = append(b.msgs, p.deadLetter(m, id, j.Reject.Reason, j.Reject.Field, j.Reject.Error()))
		r.stats.reject(j.Reject.Reason)
		return
	}
	size := len(j.Record.ID) + len(j.VerdictJSON)
	for _, ev := range j.Incidents {
		size = max(size, len(ev.Key)+len(ev.JSON))
	}
	observe := r.enforcement != nil && j.Record.Provider != ""
	if observe {
		size = max(size, observationSize(j))
	}
	if size > maxMessageBytes-4<<10 {
		id := p.prefix + strconv.FormatInt(m.Offset, 10)
		b.msgs = append(b.msgs, p.deadLetter(m, id, ReasonOutputTooLarge, "",
			"output too large: a verdict or incident of "+strconv.Itoa(size)+" bytes exceeds the message size limit"))
		r.stats.reject(ReasonOutputTooLarge)
		w.Rejected(ReasonOutputTooLarge)
		return
	}
	if rs := j.Verdict.Ruleset; r.cfg.RulesetsTopic != "" && rs != nil && rs != p.lastRuleset {
		p.publish(rs, b)
	}
	switch allow := j.Verdict.Decision == rules.Allow; {
	case allow && r.cfg.VerdictsMode == VerdictsFlagged:
		b.counts.unwritten++ // its absence from the verdicts topic says allow
	case allow && r.cfg.VerdictsMode == VerdictsCompact:
		b.msgs = append(b.msgs, kafka.Message{
			Topic:   r.cfg.VerdictsTopic,
			Key:     b.bytes(j.Record.ID, -1),
			Value:   b.compact(j.Record.ID, j.Verdict.Ruleset, j.Verdict.LatencyUS),
			Headers: b.headers(kafka.Header{Key: HeaderID, Value: b.bytes(p.prefix, m.Offset)}),
		})
		b.counts.compact++
	default:
		b.msgs = append(b.msgs, kafka.Message{
			Topic:   r.cfg.VerdictsTopic,
			Key:     b.bytes(j.Record.ID, -1),
			Value:   j.VerdictJSON,
			Headers: b.headers(kafka.Header{Key: HeaderID, Value: b.bytes(p.prefix, m.Offset)}),
		})
		b.counts.verdicts++
	}
	b.counts.incidents += int64(len(j.Incidents))
	if observe {
		// The provider's owner stamps the incidents with its level and writes them
		// (enforcer.go); this partition writes the observation.
		ladder := r.enforcement.LadderFor(&enforce.Observation{Ruleset: j.Verdict.Ruleset, Jurisdiction: j.Verdict.Jurisdiction})
		b.msgs = append(b.msgs, kafka.Message{
			Topic:   r.enfTopic,
			Key:     b.bytes(j.Record.Provider, -1),
			Value:   appendObservation(make([]byte, 0, observationSize(j)), p.topic, p.id, m.Offset, j, ladder),
			Headers: b.headers(kafka.Header{Key: HeaderID, Value: b.bytes("obs/"+p.prefix, m.Offset)}),
		})
		b.counts.observations++
		return
	}
	if r.cfg.IncidentsTopic == "" {
		return
	}
	for _, ev := range j.Incidents {
		var k []byte
		if ev.Key != "" {
			k = b.bytes(ev.Key, -1)
		}
		b.incidents++
		b.msgs = append(b.msgs, kafka.Message{
			Topic: r.cfg.IncidentsTopic,
			Key:   k,
			Value: ev.JSON,
			Headers: b.headers(
				kafka.Header{Key: HeaderID, Value: b.bytes(ev.ID, -1)},
				kafka.Header{Key: HeaderContentType, Value: b.bytes("application/cloudevents+json", -1)},
			),
		})
	}
}

// publish appends rs to the batch for the rulesets topic, once per partition.
func (p *partition) publish(rs *rules.Ruleset, b *batch) {
	p.lastRuleset = rs
	if p.published[rs] {
		return
	}
	if p.published == nil || len(p.published) > 4096 { // reloads leave old rulesets behind
		p.published = map[*rules.Ruleset]bool{}
	}
	p.published[rs] = true
	b.msgs = append(b.msgs, kafka.Message{
		Topic:   p.r.cfg.RulesetsTopic,
		Key:     []byte(rs.Checksum),
		Value:   RulesetJSON(rs),
		Headers: []kafka.Header{{Key: HeaderID, Value: []byte("ruleset/" + rs.Checksum)}},
	})
	p.r.stats.rulesets.Add(1)
}

// RulesetJSON is the value written to the rulesets topic: the ruleset as verdicts
// carry it (packs, inputs, checksum) with its short id, the one compact verdicts name.
func RulesetJSON(rs *rules.Ruleset) []byte {
	full := rs.JSON()
	out := make([]byte, 0, len(full)+32)
	out = append(out, `{"id":"`...)
	out = append(out, rs.ID()...)
	out = append(out, `",`...)
	return append(out, full[1:]...)
}

// compact returns the compact verdict of an allowed record in the batch's arena:
// {"id":…,"decision":"allow","rs":<ruleset id>,"us":<latency in µs>}.
func (b *batch) compact(id string, rs *rules.Ruleset, us int64) []byte {
	need := 6*len(id) + 64
	if cap(b.arena)-len(b.arena) < need {
		b.arena = make([]byte, 0, max(8<<10, need))
	}
	n := len(b.arena)
	a := append(b.arena, `{"id":`...)
	a = jsonw.AppendString(a, id)
	a = append(a, `,"decision":"allow","rs":"`...)
	if rs != nil {
		a = append(a, rs.ID()...)
	}
	a = append(a, `","us":`...)
	a = strconv.AppendInt(a, us, 10)
	a = append(a, '}')
	b.arena = a
	return a[n:len(a):len(a)]
}

func (p *partition) deadLetter(m kafka.Message, id, reason, field, msg string) kafka.Message {
	r := p.r
	v := m.Value
	h := []kafka.Header{
		{Key: HeaderID, Value: []byte(id)},
		{Key: HeaderReason, Value: []byte(reason)},
		{Key: HeaderField, Value: []byte(field)},
		{Key: HeaderError, Value: []byte(truncate(msg, 1024))},
		{Key: HeaderSourceTopic, Value: []byte(p.topic)},
		{Key: HeaderSourcePartition, Value: []byte(strconv.Itoa(p.id))},
		{Key: HeaderSourceOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		{Key: HeaderOriginalBytes, Value: []byte(strconv.Itoa(len(v)))},
	}
	if len(v) > r.cfg.DLQMaxBytes {
		v = v[:r.cfg.DLQMaxBytes]
		h = append(h, kafka.Header{Key: HeaderTruncated, Value: []byte("true")})
	}
	k := m.Key
	if len(k) > 4<<10 {
		k = k[:4<<10]
	}
	return kafka.Message{Topic: r.cfg.DLQTopic, Key: k, Value: v, Headers: h}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// send writes batches in order. A failed write is retried (the kafka-go writer retries
// too) before anything after it is written, so order holds; the done offset moves only
// after an acknowledgement. When send is cancelled (drain deadline) the batch in hand and
// all after it are abandoned uncommitted.
func (p *partition) send(ctx context.Context, in <-chan *batch, log *slog.Logger) {
	r := p.r
	abandoned := false
	for b := range in {
		if !abandoned {
			if err := p.write(ctx, b.msgs, log); err != nil {
				abandoned = true
				r.stats.abandoned.Add(1)
			} else {
				p.done.Store(b.last + 1)
				r.stats.acked.Add(int64(b.records))
				r.stats.incidentsAcked.Add(int64(b.incidents))
				if r.OnAcked != nil {
					r.OnAcked(b.times)
				}
				if r.p2v != nil {
					r.observeAcked(b.times)
				}
			}
		}
		r.release(b.n)
	}
}

func (p *partition) write(ctx context.Context, msgs []kafka.Message, log *slog.Logger) error {
	r := p.r
	return writeAll(ctx, r.writer, msgs, func(msgs []kafka.Message, err error, retryIn time.Duration) {
		r.stats.writeErrors.Add(1)
		if r.cfg.IncidentsTopic != "" && slices.ContainsFunc(msgs, func(m kafka.Message) bool { return m.Topic == r.cfg.IncidentsTopic }) {
			r.stats.incidentWriteErrors.Add(1)
		}
		lvl := slog.LevelError
		if transient(err) {
			lvl = slog.LevelWarn
		}
		log.Log(ctx, lvl, "writing outputs failed, retrying; offsets stay uncommitted until written",
			"messages", len(msgs), "err", err, "retry_in", retryIn)
	})
}

// writeAll writes msgs with w, retrying what failed (only that, in order: what succeeded
// is not written twice) with backoff until all are acknowledged or ctx ends. failed is
// told of each failure with the messages still to write, before the wait.
func writeAll(ctx context.Context, w *kafka.Writer, msgs []kafka.Message, failed func(msgs []kafka.Message, err error, retryIn time.Duration)) error {
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		err := w.WriteMessages(ctx, msgs...)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var werrs kafka.WriteErrors
		if errors.As(err, &werrs) && len(werrs) == len(msgs) {
			rest := make([]kafka.Message, 0, werrs.Count())
			for i, e := range werrs {
				if e != nil {
					rest = append(rest, msgs[i])
					err = e
				}
			}
			msgs = rest
		}
		d := bo.next()
		failed(msgs, err, d)
		if !sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// release returns n in-flight tokens.
func (r *Runner) release(n int) {
	for range n {
		<-r.tokens
	}
}
