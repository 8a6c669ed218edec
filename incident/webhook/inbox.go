package webhook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// MaxBody bounds a request body the Inbox reads.
const MaxBody = 32 << 20

// Inbox is the receiving end of delivery, an http.Handler for POST /: it verifies the
// signature and the timestamp, accepts one CloudEvent (structured mode) or a JSON array
// of them (batched mode), and appends each event it has not seen before to Out, one JSON
// a line, before answering 2xx. A redelivered event id is acknowledged and not written
// again. Events are validated with the CNCF CloudEvents SDK.
//
// Answers: 204 written (or all duplicates); 400 malformed headers, body or event; 401 no
// matching signature; 400 stale timestamp; 405 not POST; 413 too large; 415 not a
// CloudEvents content type; 500 the write failed (the sender retries).
type Inbox struct {
	Secrets   []Secret
	Tolerance time.Duration    // replay window; 0: DefaultTolerance
	Now       func() time.Time // nil: time.Now
	Log       *slog.Logger     // nil: slog.Default
	// Sync, if set, is called after each write (e.g. (*os.File).Sync) before answering.
	Sync func() error

	mu   sync.Mutex
	out  io.Writer
	seen map[string]bool
	// Counts, read under the lock with Stats.
	requests, written, duplicates int
}

// NewInbox returns an Inbox appending to out.
func NewInbox(out io.Writer, secrets []Secret) *Inbox {
	return &Inbox{Secrets: secrets, out: out, seen: map[string]bool{}}
}

// Load marks the event ids found in r (JSONL written by an earlier Inbox) as seen, so a
// restarted receiver still recognises redeliveries. It returns how many ids it read.
func (in *Inbox) Load(r io.Reader) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), MaxBody)
	n := 0
	for sc.Scan() {
		var e struct {
			ID string `json:"id"`
		}
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.ID == "" {
			return n, fmt.Errorf("webhook: line %d of the output is not an event: a torn write? fix the file before restarting", n+1)
		}
		in.seen[e.ID] = true
		n++
	}
	return n, sc.Err()
}

// InboxStats are an Inbox's counts.
type InboxStats struct {
	Requests   int // verified requests
	Written    int // events appended
	Duplicates int // events already seen
}

// Stats returns the counts so far.
func (in *Inbox) Stats() InboxStats {
	in.mu.Lock()
	defer in.mu.Unlock()
	return InboxStats{in.requests, in.written, in.duplicates}
}

func (in *Inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := in.Log
	if log == nil {
		log = slog.Default()
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	id, err := Verify(r.Header, body, now(), in.Tolerance, in.Secrets...)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrSignature) {
			status = http.StatusUnauthorized
		}
		log.Warn("refused", "component", "receive", "webhook_id", id, "remote", r.RemoteAddr, "err", err)
		http.Error(w, err.Error(), status)
		return
	}
	events, err := parseEvents(r.Header.Get("Content-Type"), body)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errContentType) {
			status = http.StatusUnsupportedMediaType
		}
		log.Warn("refused", "component", "receive", "webhook_id", id, "err", err)
		http.Error(w, err.Error(), status)
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.requests++
	var buf bytes.Buffer
	var fresh []string
	for _, e := range events {
		if in.seen[e.id] || contains(fresh, e.id) {
			in.duplicates++
			continue
		}
		buf.Write(e.json)
		buf.WriteByte('\n')
		fresh = append(fresh, e.id)
	}
	if buf.Len() > 0 {
		_, err := in.out.Write(buf.Bytes())
		if err == nil && in.Sync != nil {
			err = in.Sync()
		}
		if err != nil {
			log.Error("writing events", "component", "receive", "webhook_id", id, "err", err)
			http.Error(w, "could not store the events", http.StatusInternalServerError)
			return
		}
		for _, e := range fresh {
			in.seen[e] = true
		}
		in.written += len(fresh)
	}
	log.Info("received", "component", "receive", "webhook_id", id, "events", len(events), "new", len(fresh))
	w.WriteHeader(http.StatusNoContent)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var errContentType = errors.New("webhook: want Content-Type application/cloudevents+json or application/cloudevents-batch+json")

type rawEvent struct {
	id   string
	json []byte // compact
}

// parseEvents reads a structured or batched CloudEvents body and validates every event.
func parseEvents(contentType string, body []byte) ([]rawEvent, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, errContentType
	}
	var raws []json.RawMessage
	switch mt {
	case ContentTypeStructured:
		raws = []json.RawMessage{body}
	case ContentTypeBatch:
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, fmt.Errorf("webhook: batched body is not a JSON array: %v", err)
		}
	default:
		return nil, errContentType
	}
	out := make([]rawEvent, 0, len(raws))
	for i, raw := range raws {
		var e cloudevents.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("webhook: event %d: %v", i, err)
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("webhook: event %d: not a valid CloudEvent: %v", i, err)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			return nil, fmt.Errorf("webhook: event %d: %v", i, err)
		}
		out = append(out, rawEvent{id: e.ID(), json: c.Bytes()})
	}
	return out, nil
}
