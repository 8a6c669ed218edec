// Package deliver sends incidents to their receivers and loses none: one Worker per
// receiver routes each incident through the routing tree, drops ids already delivered
// to that receiver, groups the rest (group_by, group_wait, group_interval,
// repeat_interval), posts each notification as signed CloudEvents and retries with
// exponential backoff and jitter, honouring Retry-After, until a 2xx; a message the
// receiver refuses (a 4xx other than 408/429), or one still failing after max_attempts or
// max_age, is parked with its last error. Only then is each incident acknowledged to its
// source, so a source that commits on acknowledgement (the Kafka consumer of this
// package, the outbox of package store) never loses one.
//
// Sources are the incidents topic (Kafka, one consumer group per receiver: a receiver that
// is down holds back only itself) and any Queue (the on-disk outbox). Time is read
// through time.Now and timers, so tests run it in a testing/synctest bubble.
//
// Left out: the routing file (package route), signing (package webhook), the store.
package deliver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/webhook"
)

// Outcome is what became of an incident at one receiver.
type Outcome int

const (
	Delivered Outcome = iota // the receiver answered 2xx
	Duplicate                // already delivered to this receiver before
	Unrouted                 // no route sends it to this receiver
	Parked                   // kept with its last error for an operator
)

func (o Outcome) String() string {
	return [...]string{"delivered", "duplicate", "unrouted", "parked"}[o]
}

// Item is one incident handed to a receiver's Worker.
type Item struct {
	Event []byte    // the CloudEvent, structured JSON
	Since time.Time // when delivery first saw it: max_age and the oldest-pending metric count from here
	// Ack is called exactly once, from the Worker's goroutine, when the incident is done
	// at this receiver; the source may then forget it (commit, delete). It is never called
	// for an item still pending when the Worker stops.
	Ack func(Outcome)

	sum incident.Summary
}

// Dedup remembers which incident ids a receiver has had. Implementations must be safe
// for concurrent use and persistent, so a restarted process does not deliver again.
type Dedup interface {
	// Seen reports which of ids were already delivered to receiver.
	Seen(ctx context.Context, receiver string, ids []string) (map[string]bool, error)
	// MarkDelivered records ids as delivered to receiver.
	MarkDelivered(ctx context.Context, receiver string, ids []string) error
}

// ParkedIncident is an incident that could not be delivered, with why.
type ParkedIncident struct {
	Receiver string
	ID       string    // incident id ("" when the event could not be read)
	Event    []byte    // the event as received
	Error    string    // the last error: the receiver's answer, a transport error, a bad event
	Status   int       // the last HTTP status, 0 if none
	Attempts int       // delivery attempts made
	Since    time.Time // when delivery first saw it
	At       time.Time // when it was parked
}

// Parker keeps incidents that could not be delivered. Park returns only once they are
// stored durably; an error means nothing may be acknowledged.
type Parker interface {
	Park(ctx context.Context, p []ParkedIncident) error
}

// Notification is one message to a receiver: a group's new incidents.
type Notification struct {
	Receiver   string
	Route      string // route id
	Labels     map[string]string
	Count      int       // incidents in the group so far, these included
	FirstSeen  time.Time // earliest incident time in the group
	LastSeen   time.Time
	Items      []*Item // the incidents new in this notification
	Structured bool    // one incident, structured mode (group_by: ["..."])
}

// IDs returns the incident ids of n.
func (n *Notification) IDs() []string {
	ids := make([]string, len(n.Items))
	for i, it := range n.Items {
		ids[i] = it.sum.ID
	}
	return ids
}

// NotifyFunc sends one message once.
type NotifyFunc func(ctx context.Context, m webhook.Message) webhook.Result

// Worker delivers to one receiver. Build it with NewWorker, feed it with Submit, run it
// with Run.
type Worker struct {
	name   string
	tree   func() *route.Tree
	dedup  Dedup
	park   Parker
	notify NotifyFunc
	log    *slog.Logger
	m      *Metrics

	in chan *Item

	// Loop state (the Run goroutine only).
	groups  map[string]*group
	pending map[string]*ackState // incident id → its state while in some group
}

type group struct {
	key       string
	route     *route.Route
	labels    map[string]string
	items     []*Item
	count     int
	first     time.Time
	last      time.Time
	opened    time.Time // arrival of the first incident
	flushedAt time.Time // last notification; zero before the first
	lastNew   time.Time // arrival of the last incident
}

type ackState struct {
	item   *Item
	refs   int // groups still holding it (routes with continue may send it twice)
	parked bool
}

// Options configure a Worker.
type Options struct {
	Tree   func() *route.Tree // the running routing tree (e.g. (*route.Holder).Tree)
	Dedup  Dedup
	Parker Parker
	Notify NotifyFunc   // nil: signed HTTP POST with the receiver's timeout
	Log    *slog.Logger // nil: slog.Default
	// Metrics, shared by every Worker of a process (NewMetrics); nil: none.
	Metrics *Metrics
	// Queue bounds the items submitted and not yet taken by the loop (default 1024).
	Queue int
}

// NewWorker returns the Worker of receiver name.
func NewWorker(name string, o Options) *Worker {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Queue <= 0 {
		o.Queue = 1024
	}
	w := &Worker{name: name, tree: o.Tree, dedup: o.Dedup, park: o.Parker, notify: o.Notify, m: o.Metrics,
		log: o.Log.With("component", "deliver", "receiver", name), in: make(chan *Item, o.Queue),
		groups: map[string]*group{}, pending: map[string]*ackState{}}
	if w.notify == nil {
		client := webhook.NewClient()
		w.notify = func(ctx context.Context, m webhook.Message) webhook.Result {
			return webhook.Post(ctx, client, m, time.Now())
		}
	}
	w.m.init(name)
	return w
}

// Submit hands an item to the Worker, waiting while its queue is full (back-pressure).
// It fails only when ctx ends.
func (w *Worker) Submit(ctx context.Context, it *Item) error {
	w.m.pendingAdd(w.name, it.Since, 1)
	select {
	case w.in <- it:
		return nil
	case <-ctx.Done():
		w.m.pendingAdd(w.name, it.Since, -1)
		return ctx.Err()
	}
}

// ErrStopped is returned by Run when its context ended; pending incidents were not
// acknowledged and their source delivers them again.
var ErrStopped = errors.New("deliver: stopped")

// Run delivers until ctx ends. Groups still waiting are not flushed: their incidents stay
// unacknowledged at the source and come back after a restart (the dedup store keeps
// what was delivered from going twice).
func (w *Worker) Run(ctx context.Context) error {
	return w.run(ctx, false)
}

// Drain delivers until the queue is closed by CloseInput and empty and every group is
// flushed (without waiting for group_wait or group_interval), or ctx ends. For batch
// sources (scan): notify what there is now rather than keep it waiting.
func (w *Worker) Drain(ctx context.Context) error {
	return w.run(ctx, true)
}

// CloseInput closes the queue: no more Submit calls may follow.
func (w *Worker) CloseInput() { close(w.in) }

func (w *Worker) run(ctx context.Context, drain bool) error {
	defer w.forget()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	in := w.in
	for {
		if drain && in == nil {
			for _, g := range w.sortedGroups() {
				if len(g.items) > 0 {
					if !w.flush(ctx, g) {
						return ErrStopped
					}
				}
			}
			return nil
		}
		next, ok := w.nextDue()
		if ok {
			timer.Reset(max(time.Until(next), 0))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			return ErrStopped
		case it, ok := <-in:
			if !ok {
				in = nil
				continue
			}
			w.take(ctx, it)
			// Take what else is queued (a queue's worth at most, so due groups are not
			// starved by a busy source) before flushing: a burst is one notification.
			for n, more := 1, true; more && n < cap(w.in); n++ {
				select {
				case it, ok := <-in:
					if !ok {
						in = nil
						more = false
						continue
					}
					w.take(ctx, it)
				default:
					more = false
				}
			}
		case <-timer.C:
		}
		if !w.flushDue(ctx) {
			return ErrStopped
		}
	}
}

// forget takes the incidents still held off the pending gauges when the loop ends: they
// were not acknowledged, and the source has them still.
func (w *Worker) forget() {
	for _, st := range w.pending {
		w.m.pendingAdd(w.name, st.item.Since, -1)
	}
	w.pending = map[string]*ackState{}
	w.groups = map[string]*group{}
	for {
		select {
		case it, ok := <-w.in:
			if !ok {
				return
			}
			w.m.pendingAdd(w.name, it.Since, -1)
		default:
			return
		}
	}
}

// take routes, deduplicates and groups one incident.
func (w *Worker) take(ctx context.Context, it *Item) {
	sum, err := incident.Summarize(it.Event)
	if err != nil {
		w.parkNow(ctx, []*Item{it}, err.Error(), 0, 0)
		return
	}
	it.sum = sum
	var routes []*route.Route
	for _, r := range w.tree().Match(&sum) {
		if r.Receiver == w.name {
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		w.done(it, Unrouted)
		return
	}
	if st := w.pending[sum.ID]; st != nil {
		w.done(it, Duplicate) // the first copy is in a group already
		return
	}
	seen, err := w.dedupSeen(ctx, []string{sum.ID})
	if err != nil {
		w.log.Error("dedup store: delivering anyway (a duplicate is possible)", "err", err)
	}
	if seen[sum.ID] {
		w.done(it, Duplicate)
		return
	}
	now := time.Now()
	st := &ackState{item: it}
	w.pending[sum.ID] = st
	for _, r := range routes {
		key := r.GroupKey(&sum)
		g := w.groups[key]
		if g != nil && len(g.items) == 0 && now.Sub(g.lastNew) >= r.RepeatInterval {
			delete(w.groups, key) // quiet for repeat_interval: the group is over, a new one starts
			g = nil
		}
		if g == nil {
			g = &group{key: key, route: r, labels: r.GroupLabels(&sum), opened: now, first: sum.Time, last: sum.Time}
			w.groups[key] = g
		}
		g.items = append(g.items, it)
		g.count++
		g.lastNew = now
		if sum.Time.Before(g.first) {
			g.first = sum.Time
		}
		if sum.Time.After(g.last) {
			g.last = sum.Time
		}
		st.refs++
	}
}

func (w *Worker) dedupSeen(ctx context.Context, ids []string) (map[string]bool, error) {
	if w.dedup == nil {
		return nil, nil
	}
	return w.dedup.Seen(ctx, w.name, ids)
}

// due is when a group with pending incidents is notified: group_wait after it opened for
// its first notification, group_interval after the previous one otherwise.
func (g *group) due() time.Time {
	if g.flushedAt.IsZero() {
		return g.opened.Add(g.route.GroupWait)
	}
	return g.flushedAt.Add(g.route.GroupInterval)
}

func (w *Worker) nextDue() (time.Time, bool) {
	var next time.Time
	found := false
	for _, g := range w.groups {
		if len(g.items) == 0 {
			continue
		}
		if d := g.due(); !found || d.Before(next) {
			next, found = d, true
		}
	}
	return next, found
}

func (w *Worker) sortedGroups() []*group {
	gs := make([]*group, 0, len(w.groups))
	for _, g := range w.groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *group) int { return a.opened.Compare(b.opened) })
	return gs
}

// flushDue notifies every group that is due, oldest first. It returns false when ctx
// ended.
func (w *Worker) flushDue(ctx context.Context) bool {
	now := time.Now()
	for _, g := range w.sortedGroups() {
		if len(g.items) > 0 && !g.due().After(now) {
			if !w.flush(ctx, g) {
				return false
			}
		}
		if len(g.items) == 0 && now.Sub(g.lastNew) >= g.route.RepeatInterval {
			delete(w.groups, g.key)
		}
	}
	return true
}

// flush sends a group's pending incidents (one notification each on structured routes;
// batches of at most max_events otherwise) and acknowledges them. False when ctx ended.
func (w *Worker) flush(ctx context.Context, g *group) bool {
	rcv := w.tree().Receivers[w.name]
	if rcv == nil {
		// The receiver left the routing file: its pending incidents are parked, not dropped.
		w.parkNow(ctx, g.items, "receiver removed from the routing file", 0, 0)
		g.items = nil
		return ctx.Err() == nil
	}
	if g.route.GroupAll {
		for _, it := range g.items {
			n := &Notification{Receiver: w.name, Route: g.route.ID, Labels: g.labels, Count: 1, FirstSeen: it.sum.Time, LastSeen: it.sum.Time, Items: []*Item{it}, Structured: true}
			if !w.send(ctx, rcv, n) {
				return false
			}
			g.items = g.items[1:]
		}
	} else {
		// At most max_events incidents a notification: the rest follow at once in the next
		// ones, each with the group's running count (none is left out).
		for len(g.items) > 0 {
			k := min(len(g.items), max(rcv.MaxEvents, 1))
			n := &Notification{Receiver: w.name, Route: g.route.ID, Labels: g.labels, Count: g.count - (len(g.items) - k),
				FirstSeen: g.first, LastSeen: g.last, Items: g.items[:k]}
			if !w.send(ctx, rcv, n) {
				return false
			}
			g.items = g.items[k:]
		}
		g.items = nil
	}
	g.flushedAt = time.Now()
	return true
}

// send delivers one notification with retries and acknowledges its incidents (delivered
// or parked). False when ctx ended first (nothing acknowledged).
func (w *Worker) send(ctx context.Context, rcv *route.Receiver, n *Notification) bool {
	msg := n.Message(rcv)
	oldest := n.Items[0].Since
	for _, it := range n.Items {
		if it.Since.Before(oldest) {
			oldest = it.Since
		}
	}
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, rcv.Timeout)
		res := w.notify(actx, msg)
		cancel()
		if ctx.Err() != nil {
			return false
		}
		w.m.attempt(w.name, res.Class())
		if res.OK() {
			ids := n.IDs()
			if w.dedup != nil {
				for w.dedup.MarkDelivered(ctx, w.name, ids) != nil {
					// The receiver has them; acknowledging without the mark would risk a
					// duplicate after a restart, which the receiver drops by id anyway.
					w.log.Error("dedup store: cannot record a delivery; retrying")
					if !sleep(ctx, time.Second) {
						return false
					}
				}
			}
			w.log.Debug("delivered", "incidents", len(n.Items), "attempts", attempt, "webhook_id", msg.ID)
			for _, it := range n.Items {
				w.release(it, Delivered)
			}
			return true
		}
		giveUp := ""
		switch {
		case !res.Retryable():
			giveUp = "the receiver refused the message"
		case attempt >= rcv.MaxAttempts:
			giveUp = "max_attempts reached"
		case time.Since(oldest) >= rcv.MaxAge:
			giveUp = "max_age reached"
		}
		if giveUp != "" {
			w.log.Warn("parking undeliverable incidents", "why", giveUp, "incidents", len(n.Items), "attempts", attempt, "err", res.Error())
			return w.parkNow(ctx, n.Items, res.Error(), res.Status, attempt)
		}
		wait := Backoff(attempt, rcv.BackoffMin, rcv.BackoffMax, rand.Float64())
		if res.RetryAfter > wait {
			wait = min(res.RetryAfter, maxRetryAfter)
		}
		w.log.Info("delivery failed; retrying", "attempt", attempt, "in", wait.Round(time.Millisecond), "err", res.Error())
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// maxRetryAfter bounds how long a Retry-After may hold a receiver back.
const maxRetryAfter = time.Hour

// Backoff is the wait after a failed attempt (1-based): exponential from lo, capped at
// hi, with jitter: a uniformly random point (u in [0,1)) in its upper half, so
// receivers coming back are not hit by every sender at once and the wait still grows.
func Backoff(attempt int, lo, hi time.Duration, u float64) time.Duration {
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + time.Duration(u*float64(d/2))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// parkNow parks items with err, retrying the store until it takes them, then
// acknowledges them. False when ctx ended first.
func (w *Worker) parkNow(ctx context.Context, items []*Item, errText string, status, attempts int) bool {
	now := time.Now()
	ps := make([]ParkedIncident, len(items))
	for i, it := range items {
		ps[i] = ParkedIncident{Receiver: w.name, ID: it.sum.ID, Event: it.Event, Error: errText, Status: status, Attempts: attempts, Since: it.Since, At: now}
	}
	for {
		err := errors.New("deliver: no parking store configured")
		if w.park != nil {
			err = w.park.Park(ctx, ps)
		}
		if err == nil {
			break
		}
		w.log.Error("cannot park incidents; retrying (they stay unacknowledged)", "err", err)
		if !sleep(ctx, time.Second) {
			return false
		}
	}
	for _, it := range items {
		if st := w.pending[it.sum.ID]; st != nil && st.item == it {
			st.parked = true
			w.release(it, Parked)
		} else {
			w.done(it, Parked)
		}
	}
	return true
}

// release drops one group's hold on an item; the last one acknowledges it.
func (w *Worker) release(it *Item, o Outcome) {
	st := w.pending[it.sum.ID]
	if st == nil || st.item != it {
		w.done(it, o)
		return
	}
	st.refs--
	if st.refs > 0 {
		return
	}
	delete(w.pending, it.sum.ID)
	if st.parked {
		o = Parked
	}
	w.done(it, o)
}

func (w *Worker) done(it *Item, o Outcome) {
	w.m.outcome(w.name, o)
	w.m.pendingAdd(w.name, it.Since, -1)
	if it.Ack != nil {
		it.Ack(o)
	}
}

// Message builds the signed message of n for receiver r: structured mode for one
// incident of a structured route, otherwise batched mode with the group event first.
func (n *Notification) Message(r *route.Receiver) webhook.Message {
	if n.Structured {
		return webhook.Message{URL: r.URL, ID: n.Items[0].sum.ID, Body: n.Items[0].Event, ContentType: webhook.ContentTypeStructured, Secrets: r.Secrets}
	}
	h := sha256.New()
	for _, s := range []string{n.Receiver, n.Route} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, it := range n.Items {
		h.Write([]byte(it.sum.ID))
		h.Write([]byte{0})
	}
	id := "grp-" + hex.EncodeToString(h.Sum(nil)[:16])
	return webhook.Message{URL: r.URL, ID: id, Body: n.batchBody(id), ContentType: webhook.ContentTypeBatch, Secrets: r.Secrets}
}
