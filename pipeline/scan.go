package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/record"
)

// ScanOptions configure Scan.
type ScanOptions struct {
	Source    string    // input name for dead letters, e.g. the file path or "-"
	Verdicts  io.Writer // one verdict per line; required
	Incidents io.Writer // one CloudEvent per line; nil discards (they are still counted)
	DLQ       io.Writer // one DeadLetter per line; required: rejected lines are never dropped
	Workers   int       // parallel workers; 0 means GOMAXPROCS
	// MaxLineBytes bounds the original line kept in a dead letter; longer lines are
	// rejected as oversize and their first MaxLineBytes bytes kept, with their length.
	// 0 means 4 × the record limit.
	MaxLineBytes int
	// Progress, if set, is called with the bytes read so far, at most every 100 ms.
	Progress func(read int64)
	// Enforcement, if set, is applied to every judged record in input order: each
	// incident gets its provider's level (data.enforcement), and level changes are
	// written to Incidents as enforcement events after the incidents that caused them
	// (de-escalations before the record's incidents). See docs/enforcement.md.
	Enforcement *enforce.State
	// EnforcementChanges, if set, is called with every level change, in order.
	EnforcementChanges func(enforce.Change)
}

// DeadLetter is one rejected input line, as written to the dead-letter output.
type DeadLetter struct {
	Source string `json:"source"`
	Line   int64  `json:"line"` // 1-based line number in Source
	// For Kafka: topic, partition and offset instead of line.
	Reason string `json:"reason"`
	Field  string `json:"field,omitempty"`
	Error  string `json:"error"`
	// Original is the line as received when it is valid UTF-8; otherwise
	// OriginalBase64 holds its exact bytes.
	Original       string `json:"original,omitempty"`
	OriginalBase64 []byte `json:"original_base64,omitempty"`
	OriginalBytes  int    `json:"original_bytes"`
	Truncated      bool   `json:"truncated,omitempty"`
}

// NewDeadLetter builds a dead letter for raw rejected with err.
func NewDeadLetter(source string, line int64, raw []byte, size int, err *record.DecodeError) DeadLetter {
	d := DeadLetter{Source: source, Line: line, Reason: err.Reason, Field: err.Field, Error: err.Error(), OriginalBytes: size, Truncated: size > len(raw)}
	if utf8.Valid(raw) {
		d.Original = string(raw)
	} else {
		d.OriginalBase64 = bytes.Clone(raw)
	}
	return d
}

type scanLine struct {
	n    int64
	data []byte
	size int // full length; > len(data) when truncated
}

type scanBatch struct {
	lines    []scanLine
	verdicts bytes.Buffer
	incs     bytes.Buffer
	dlq      bytes.Buffer
	obs      []enforce.Observation // with Enforcement: what it needs of each judged record
	sum      Summary
	err      error
	done     chan struct{}
}

const batchLines = 256

// Scan judges JSONL records from r, in parallel, writing outputs in input order. Bad
// lines go to opt.DLQ with their line number and reason and the scan goes on. It
// returns an error only when the scan itself failed (reading, writing, ctx).
func (p *Processor) Scan(ctx context.Context, r io.Reader, opt ScanOptions, sum *Summary) error {
	if opt.Verdicts == nil || opt.DLQ == nil {
		return errors.New("pipeline: scan needs a verdicts and a dead-letter writer")
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	maxLine := opt.MaxLineBytes
	if maxLine <= 0 {
		lim := p.Limits.MaxRecordBytes
		if lim <= 0 {
			lim = record.DefaultLimits.MaxRecordBytes
		}
		maxLine = 4 * lim
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()

	work := make(chan *scanBatch, workers)
	order := make(chan *scanBatch, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := p.NewWorker()
			for b := range work {
				p.scanBatch(ctx, w, b, opt)
				close(b.done)
			}
		}()
	}

	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(work)
		readErr <- readBatches(ctx, r, maxLine, opt.Progress, work, order)
	}()

	var werr error
	for b := range order {
		<-b.done
		if werr != nil {
			continue // drain so the workers can finish
		}
		if b.err != nil {
			werr = b.err
			cancel()
			continue
		}
		sum.Merge(&b.sum)
		if opt.Enforcement != nil {
			applyEnforcement(&b.incs, b.obs, opt)
		}
		// Incidents first: with an outbox behind opt.Incidents they are on disk before the
		// verdicts that caused them are written.
		for _, out := range []struct {
			w io.Writer
			b *bytes.Buffer
		}{{opt.Incidents, &b.incs}, {opt.Verdicts, &b.verdicts}, {opt.DLQ, &b.dlq}} {
			if out.w == nil || out.b.Len() == 0 {
				continue
			}
			if _, err := out.w.Write(out.b.Bytes()); err != nil {
				werr = fmt.Errorf("pipeline: write: %w", err)
				cancel()
				break
			}
		}
	}
	wg.Wait()
	sum.Elapsed += time.Since(start)
	if err := <-readErr; err != nil && werr == nil {
		werr = err
	}
	return werr
}

func (p *Processor) scanBatch(ctx context.Context, w *Worker, b *scanBatch, opt ScanOptions) {
	enc := json.NewEncoder(&b.dlq)
	enc.SetEscapeHTML(false)
	for _, l := range b.lines {
		b.sum.Bytes += int64(l.size) + 1
		if len(bytes.TrimSpace(l.data)) == 0 && l.size == len(l.data) {
			b.sum.Blank++
			continue
		}
		var j Judgement
		var err error
		if l.size > len(l.data) {
			j.Reject = &record.DecodeError{Reason: record.ReasonOversize, Offset: -1,
				Detail: fmt.Sprintf("line is %d bytes, more than the %d read", l.size, len(l.data))}
			w.Rejected(j.Reject.Reason)
		} else if j, err = w.Judge(ctx, l.data); err != nil {
			b.err = fmt.Errorf("pipeline: %s:%d: %w", opt.Source, l.n, err)
			return
		}
		b.sum.Add(&j)
		if j.Reject != nil {
			if err := enc.Encode(NewDeadLetter(opt.Source, l.n, l.data, l.size, j.Reject)); err != nil {
				b.err = err
				return
			}
			continue
		}
		b.verdicts.Write(j.VerdictJSON)
		b.verdicts.WriteByte('\n')
		if opt.Enforcement != nil {
			// Applied in input order by the writer (applyEnforcement); the record's
			// strings alias b.lines, which the batch keeps until then.
			b.obs = append(b.obs, enforce.Observe(j.Record, j.Verdict, j.Incidents))
			continue
		}
		for _, ev := range j.Incidents {
			b.incs.Write(ev.JSON)
			b.incs.WriteByte('\n')
		}
	}
}

// applyEnforcement applies a batch's observations in order and writes their incidents,
// stamped with the level they warrant, and the level changes they caused.
func applyEnforcement(incs *bytes.Buffer, obs []enforce.Observation, opt ScanOptions) {
	st := opt.Enforcement
	write := func(js []byte) {
		incs.Write(js)
		incs.WriteByte('\n')
	}
	for _, o := range obs {
		out := st.ApplyObservation(o)
		for i := range out.Changes {
			if c := &out.Changes[i]; c.Direction == enforce.Deescalate {
				write(st.Event(c).JSON)
			}
		}
		for _, ev := range out.Incidents {
			write(ev.JSON)
		}
		for i := range out.Changes {
			if c := &out.Changes[i]; c.Direction == enforce.Escalate {
				write(st.Event(c).JSON)
			}
		}
		if opt.EnforcementChanges != nil {
			for _, c := range out.Changes {
				opt.EnforcementChanges(c)
			}
		}
	}
}

// readBatches splits r into lines (without the newline; a final line without one
// counts), keeping at most maxLine bytes of each, and hands out batches in order.
func readBatches(ctx context.Context, r io.Reader, maxLine int, progress func(int64), work, order chan<- *scanBatch) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var n, read int64
	var lastProgress time.Time
	b := &scanBatch{done: make(chan struct{})}
	send := func() error {
		select {
		case order <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case work <- b:
		case <-ctx.Done():
			close(b.done)
			return ctx.Err()
		}
		b = &scanBatch{done: make(chan struct{})}
		return nil
	}
	for {
		line, size, err := readLine(br, maxLine)
		if size > 0 || (err == nil) {
			n++
			read += int64(size) + 1
			b.lines = append(b.lines, scanLine{n: n, data: line, size: size})
			if len(b.lines) == batchLines {
				if serr := send(); serr != nil {
					return serr
				}
				if progress != nil && time.Since(lastProgress) > 100*time.Millisecond {
					progress(read)
					lastProgress = time.Now()
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("pipeline: read: %w", err)
		}
	}
	if len(b.lines) > 0 {
		if err := send(); err != nil {
			return err
		}
	}
	if progress != nil {
		progress(read)
	}
	return nil
}

// readLine returns the next line without its "\n" (and "\r"), at most max bytes of it,
// and its full size. At the end of input it returns io.EOF with size 0, or the last
// unterminated line with a nil error.
func readLine(br *bufio.Reader, max int) ([]byte, int, error) {
	var line []byte
	size := 0
	for {
		frag, err := br.ReadSlice('\n')
		size += len(frag)
		if room := max - len(line); room > 0 {
			line = append(line, frag[:min(len(frag), room)]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if size == 0 {
				return nil, 0, io.EOF
			}
			return trimEOL(line, size)
		}
		if err != nil {
			return nil, 0, err
		}
		return trimEOL(line, size)
	}
}

func trimEOL(line []byte, size int) ([]byte, int, error) {
	full := len(line) == size
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	if full {
		size = len(line)
	} else {
		size-- // the newline
	}
	return line, size, nil
}
