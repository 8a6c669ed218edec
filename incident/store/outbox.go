package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/route"
)

// Enqueue stores events in the history and, for every receiver a route of tree sends
// each to, in the outbox, in one transaction; it returns once they are on disk. This is
// what a way in without Kafka (scan, serve) calls before it returns the verdict whose
// incidents these are. Events that are not incidents are reported after the others are
// stored. A nil tree stores the history only.
func (s *Store) Enqueue(ctx context.Context, tree *route.Tree, events [][]byte) error {
	if len(events) == 0 {
		return nil
	}
	now := time.Now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	sums, bad, err := insertTx(ctx, tx, &s.stmts, events, now)
	if err != nil {
		return err
	}
	if tree != nil {
		st := tx.StmtContext(ctx, s.stmts.insertOutbox)
		defer st.Close()
		for i, ev := range events {
			sum := &sums[i]
			if sum.ID == "" {
				continue // not an incident: reported by insertTx
			}
			done := map[string]bool{}
			for _, r := range tree.Match(sum) {
				if done[r.Receiver] {
					continue
				}
				done[r.Receiver] = true
				if _, err := st.ExecContext(ctx, r.Receiver, sum.ID, ev, now.UnixNano()); err != nil {
					return fmt.Errorf("store: outbox: %w", err)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.wake()
	return joinBad(bad)
}

func joinBad(bad []error) error {
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d events were not incidents (first: %w)", len(bad), bad[0])
}

// Sink is what a way in without Kafka needs: Put stores a verdict's incident events in
// the history and the outbox and returns once they are on disk, before the verdict is
// returned. Put may be called concurrently.
type Sink interface {
	Put(ctx context.Context, events [][]byte) error
}

// GroupSink is the Sink of a Store: concurrent Put calls are committed together in one
// transaction (group commit), so many requests share one fsync. Close it when done.
type GroupSink struct {
	s      *Store
	routes func() *route.Tree
	reqs   chan *putReq
	done   chan struct{}
	close  sync.Once
}

type putReq struct {
	events [][]byte
	err    chan error
}

// NewSink returns a GroupSink enqueueing to s with the running tree of routes (nil
// routes, or a nil tree: history only).
func NewSink(s *Store, routes func() *route.Tree) *GroupSink {
	g := &GroupSink{s: s, routes: routes, reqs: make(chan *putReq, 256), done: make(chan struct{})}
	go g.loop()
	return g
}

// Put implements Sink. Events that are not incidents refuse the whole call
// (incident.ErrNotIncident) and nothing of it is stored. When ctx ends first, Put returns
// its error though the events may still be committed: calling Put again is safe (an id is
// stored once per receiver).
func (g *GroupSink) Put(ctx context.Context, events [][]byte) error {
	if len(events) == 0 {
		return nil
	}
	for i, ev := range events {
		if _, err := incident.Summarize(ev); err != nil {
			return fmt.Errorf("store: event %d: %w", i, err)
		}
	}
	r := &putReq{events: events, err: make(chan error, 1)}
	select {
	case <-g.done:
		return errors.New("store: sink closed")
	default:
	}
	select {
	case g.reqs <- r:
	case <-g.done:
		return errors.New("store: sink closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.err:
		return err
	case <-g.done:
		return errors.New("store: sink closed (the events may or may not be stored)")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the sink after the calls in progress; Put fails afterwards.
func (g *GroupSink) Close() error {
	g.close.Do(func() { close(g.done) })
	return nil
}

func (g *GroupSink) loop() {
	for {
		var r *putReq
		select {
		case r = <-g.reqs:
		case <-g.done:
			return
		}
		batch := []*putReq{r}
		n := len(r.events)
		for more := true; more && n < 4096; {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
				n += len(r.events)
			default:
				more = false
			}
		}
		all := make([][]byte, 0, n)
		for _, r := range batch {
			all = append(all, r.events...)
		}
		var t *route.Tree
		if g.routes != nil {
			t = g.routes()
		}
		err := g.s.Enqueue(context.Background(), t, all)
		for _, r := range batch {
			r.err <- err
		}
	}
}

// wake tells the feeders new rows are there.
func (s *Store) wake() {
	s.wakeMu.Lock()
	for _, c := range s.wakers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	s.wakeMu.Unlock()
}

func (s *Store) waker() (chan struct{}, func()) {
	c := make(chan struct{}, 1)
	s.wakeMu.Lock()
	s.wakers = append(s.wakers, c)
	s.wakeMu.Unlock()
	return c, func() {
		s.wakeMu.Lock()
		defer s.wakeMu.Unlock()
		for i, x := range s.wakers {
			if x == c {
				s.wakers = append(s.wakers[:i], s.wakers[i+1:]...)
				return
			}
		}
	}
}

// MaxFeedInFlight bounds the outbox rows a Feed has handed to its Worker and not yet seen
// acknowledged; the rest wait on disk.
const MaxFeedInFlight = 50000

// Feed submits receiver's outbox rows to w in order, and deletes each row once w
// acknowledges it (delivered, duplicate, unrouted or parked: parked ones are in the
// parked table by then; a delivered one is removed by MarkDelivered, so w's Dedup must be
// s, as Deliver makes it). With untilEmpty it submits every row present, closes w's input
// (run w.Drain alongside) and returns once all are acknowledged; otherwise it waits for new rows until ctx ends. Rows not acknowledged
// when it returns stay for the next run.
func (s *Store) Feed(ctx context.Context, w *deliver.Worker, receiver string, untilEmpty bool) error {
	wake, unregister := s.waker()
	defer unregister()
	acks := make(chan int64, 4096)
	var wg sync.WaitGroup
	var delErr error
	var inFlight sync.WaitGroup
	tokens := make(chan struct{}, MaxFeedInFlight)
	wg.Go(func() { delErr = s.deleteAcked(acks) })
	defer func() { close(acks); wg.Wait() }()
	var last int64
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT seq, event, since FROM outbox WHERE receiver = ? AND seq > ? ORDER BY seq LIMIT 512`, receiver, last)
		if err != nil {
			return fmt.Errorf("store: outbox: %w", err)
		}
		var batch []*deliver.Item
		var seqs []int64
		for rows.Next() {
			var seq, since int64
			var ev []byte
			if err := rows.Scan(&seq, &ev, &since); err != nil {
				rows.Close()
				return err
			}
			seqs = append(seqs, seq)
			batch = append(batch, &deliver.Item{Event: ev, Since: time.Unix(0, since)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, it := range batch {
			seq := seqs[i]
			select { // bounded memory: a long outage's backlog stays on disk
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			inFlight.Add(1)
			it.Ack = func(o deliver.Outcome) {
				if o != deliver.Delivered { // a delivered row went with MarkDelivered
					acks <- seq
				}
				<-tokens
				inFlight.Done()
			}
			if err := w.Submit(ctx, it); err != nil {
				<-tokens
				inFlight.Done()
				return err
			}
			last = seq
		}
		if len(batch) > 0 {
			continue
		}
		if untilEmpty {
			w.CloseInput() // the Worker's Drain now flushes every group
			done := make(chan struct{})
			go func() { inFlight.Wait(); close(done) }()
			select {
			case <-done:
				return delErr
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-time.After(time.Second):
		}
	}
}

// deleteAcked deletes acknowledged rows in batches until acks is closed.
func (s *Store) deleteAcked(acks <-chan int64) error {
	var firstErr error
	for seq := range acks {
		batch := []int64{seq}
		for more := true; more && len(batch) < 1024; {
			select {
			case x, ok := <-acks:
				if !ok {
					more = false
					continue
				}
				batch = append(batch, x)
			default:
				more = false
			}
		}
		if err := s.deleteRows(batch); err != nil && firstErr == nil {
			firstErr = err // the rows stay and are delivered again; dedup drops them
		}
	}
	return firstErr
}

func (s *Store) deleteRows(seqs []int64) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range seqs {
		if _, err := tx.Exec(`DELETE FROM outbox WHERE seq = ?`, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Pending counts the outbox rows of each receiver.
func (s *Store) Pending(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT receiver, COUNT(*) FROM outbox GROUP BY receiver`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return nil, err
		}
		out[r] = n
	}
	return out, rows.Err()
}

var outboxDesc = prometheus.NewDesc("aigcwatch_outbox_pending_incidents",
	"Incidents in the on-disk outbox not yet delivered or parked, by receiver.", []string{"receiver"}, nil)
var parkedDesc = prometheus.NewDesc("aigcwatch_store_parked_incidents",
	"Incidents parked in the store (undeliverable, kept with their last error), by receiver.", []string{"receiver"}, nil)

// Collector returns the store's gauges (outbox depth and parked incidents by receiver),
// read from the database at each scrape.
func (s *Store) Collector() prometheus.Collector { return storeCollector{s} }

type storeCollector struct{ s *Store }

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- outboxDesc; ch <- parkedDesc }

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p, err := c.s.Pending(ctx); err == nil {
		for r, n := range p {
			ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), r)
		}
	}
	rows, err := c.s.db.QueryContext(ctx, `SELECT receiver, COUNT(*) FROM parked GROUP BY receiver`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		var n int
		if rows.Scan(&r, &n) == nil {
			ch <- prometheus.MustNewConstMetric(parkedDesc, prometheus.GaugeValue, float64(n), r)
		}
	}
}

// Deliver drains the outbox to every receiver of the routing tree: one deliver.Worker per
// receiver fed from its rows. With untilEmpty it returns once every row present is
// delivered or parked (or ctx ends: the rest stay for the next run); otherwise it runs
// until ctx ends, delivering rows as they are enqueued and following reloads of the tree
// (deliver.Supervise). The dedup set is s's; o.Parker defaults to s.
func (s *Store) Deliver(ctx context.Context, o deliver.Options, untilEmpty bool) error {
	o.Dedup = s // removes delivered rows
	if o.Parker == nil {
		o.Parker = s
	}
	if !untilEmpty {
		deliver.Supervise(ctx, o.Tree, func(ctx context.Context, name string) {
			w := deliver.NewWorker(name, o)
			var wg sync.WaitGroup
			wg.Go(func() { _ = w.Run(ctx) })
			wg.Go(func() { _ = s.Feed(ctx, w, name, false) })
			wg.Wait()
		})
		return ctx.Err()
	}
	var wg sync.WaitGroup
	n := len(o.Tree().Names)
	errs, ferrs := make([]error, n), make([]error, n)
	for i, name := range o.Tree().Names {
		w := deliver.NewWorker(name, o)
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		wg.Go(func() { errs[i] = w.Drain(wctx) })
		wg.Go(func() {
			if err := s.Feed(wctx, w, name, true); err != nil {
				cancel() // the Worker waits for input that will not come
				ferrs[i] = err
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(append(errs, ferrs...)...)
}
