// Command aigcwatch-loadgen sends content records to `aigcwatch serve` at a fixed rate and
// reports latency quantiles and errors.
//
// It is open-loop: request i is due at start + i/rate whether or not earlier ones have
// been answered, and its latency is measured from when it was due, not from when it
// could be sent. A server that falls behind therefore shows its queueing in the
// figures instead of silently slowing the generator down (coordinated omission).
//
//	aigcwatch-loadgen --url http://127.0.0.1:8080 --rate 5000 --duration 10s
//	aigcwatch-loadgen --rate 100 --batch 100            # 100 requests/s of 100 records
//
// Each record carries about --text-bytes of ordinary mixed Chinese and English text;
// every 10th has a fraud phrase, so rules fire and incidents are written. Only loopback
// and the addresses the user names are ever contacted.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load run.
type Config struct {
	URL            string        // base URL of the server
	Rate           float64       // requests per second
	Duration       time.Duration // how long to send (after warm-up)
	Warmup         time.Duration // sent at the same rate first, not measured
	Batch          int           // records per request; ≤ 1: POST /v1/moderate, else JSONL to /v1/moderate/batch
	TextBytes      int           // size of each record's text
	Token          string        // bearer token; "" = none
	Timeout        time.Duration // per request
	MaxOutstanding int           // requests in flight at most; a request due beyond it is counted as skipped
}

// Report is what a run measured.
type Report struct {
	Config    Config           `json:"-"`
	Sent      int              `json:"sent"`
	OK        int              `json:"ok"`
	Skipped   int              `json:"skipped"` // due while MaxOutstanding were in flight: the generator, not the server, gave up
	ByStatus  map[string]int   `json:"by_status"`
	Errors    map[string]int   `json:"errors"` // transport errors by kind
	Elapsed   time.Duration    `json:"elapsed_ns"`
	Achieved  float64          `json:"achieved_rps"`
	Records   int              `json:"records"`
	Quantiles map[string]int64 `json:"latency_us"` // of successful requests, from when each was due
	// FromSend are the same requests' quantiles from when each was written: the
	// server's share, without the generator's own lateness (its pacer wakes about 40 µs
	// late on an idle machine, more when the cores are busy; see sleepUntil). Latency
	// from due time is the figure that counts; this one says how much of it the
	// generator added.
	FromSend    map[string]int64 `json:"latency_from_send_us"`
	MaxLatency  time.Duration    `json:"max_ns"`
	SendLagP99  time.Duration    `json:"send_lag_p99_ns"` // how late the generator sent, p99: large means the generator was the bottleneck
	FailedRatio float64          `json:"failed_ratio"`
}

// conn is one keep-alive HTTP/1.1 connection carrying one request at a time. The pacer
// writes a request on an idle connection itself (a write of under a kilobyte to an idle
// socket does not block), and the connection's reader goroutine, parked in a read on
// the socket, reads the response: no goroutine hand-off stands between a request's due
// time and its write. net/http's client costs about 110 µs of CPU a request here
// (three goroutines, each woken once); this costs a fraction of it, and the server,
// which shares the two cores, gets the rest.
type conn struct {
	nc net.Conn
	br *bufio.Reader

	mu       sync.Mutex
	dead     bool
	inflight *flight
}

type flight struct {
	i    int
	due  time.Time
	sent time.Time
}

// send writes request i on k. It reports false, sending nothing, when k has died;
// after a failed write the reader answers the request with the error.
func (k *conn) send(i int, due time.Time, req []byte, timeout time.Duration) bool {
	k.mu.Lock()
	if k.dead {
		k.mu.Unlock()
		return false
	}
	k.inflight = &flight{i: i, due: due, sent: time.Now()}
	k.mu.Unlock()
	k.nc.SetDeadline(time.Now().Add(timeout)) //nolint:errcheck // a closed conn fails the write below
	if _, err := k.nc.Write(req); err != nil {
		k.nc.Close() // the reader's read fails and answers the request
	}
	return true
}

// read answers each request written on k with its response, then offers k as idle,
// until the connection fails; the request in flight then gets the error.
func (k *conn) read(done func(int, result), idle chan<- *conn) {
	for {
		resp, err := http.ReadResponse(k.br, nil)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		now := time.Now()
		k.mu.Lock()
		f := k.inflight
		k.inflight = nil
		if err != nil || resp.Close {
			k.dead = true
		}
		k.mu.Unlock()
		if f != nil {
			r := result{lag: f.sent.Sub(f.due)}
			if err != nil {
				r.errKind = errKind(err)
			} else {
				r.latency, r.status = now.Sub(f.due), resp.StatusCode
			}
			done(f.i, r)
		}
		if err != nil || resp.Close {
			k.nc.Close()
			return
		}
		select {
		case idle <- k:
		default: // more connections than requests allowed in flight: this one is surplus
			k.nc.Close()
			return
		}
	}
}

type result struct {
	latency time.Duration
	lag     time.Duration
	status  int
	errKind string
}

// Run sends load as c says until it is done or ctx ends.
func Run(ctx context.Context, c Config) (Report, error) {
	if c.Rate <= 0 || c.Duration <= 0 {
		return Report{}, errors.New("loadgen: rate and duration must be positive")
	}
	if c.MaxOutstanding <= 0 {
		c.MaxOutstanding = 10000
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	path, ct := "/v1/moderate", "application/json"
	if c.Batch > 1 {
		path, ct = "/v1/moderate/batch", "application/x-ndjson"
	}
	u, err := neturl.Parse(strings.TrimRight(c.URL, "/") + path)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Report{}, fmt.Errorf("loadgen: URL %q: want http(s)://host:port", c.URL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}

	// Requests are made whole ahead of time (headers and body) so that building them
	// does not add to the send lag; each is written with one system call.
	texts := make([]string, 64)
	for i := range texts {
		texts[i] = sampleText(i, c.TextBytes)
	}
	request := func(n int) []byte {
		var body bytes.Buffer
		for k := range max(c.Batch, 1) {
			id := n*max(c.Batch, 1) + k
			fmt.Fprintf(&body, `{"id":"load-%d","jurisdiction":"CN","provider":"loadgen","role":"platform","modality":"text","text":%q}`, id, texts[id%len(texts)])
			if c.Batch > 1 {
				body.WriteByte('\n')
			}
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", u.RequestURI(), u.Host, ct, body.Len())
		if c.Token != "" {
			fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", c.Token)
		}
		b.WriteString("\r\n")
		b.Write(body.Bytes())
		return b.Bytes()
	}

	interval := time.Duration(float64(time.Second) / c.Rate)
	total := int((c.Warmup + c.Duration) / interval)
	warm := int(c.Warmup / interval)
	requests := make([][]byte, min(total, 4096))
	for i := range requests {
		requests[i] = request(i)
	}
	results := make([]result, total)
	var wg sync.WaitGroup
	var outstanding atomic.Int64
	done := func(i int, r result) {
		results[i] = r
		outstanding.Add(-1)
		wg.Done()
	}
	dial := func() (*conn, error) {
		d := net.Dialer{Timeout: c.Timeout, KeepAlive: 30 * time.Second}
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		if u.Scheme == "https" {
			tc := tls.Client(nc, &tls.Config{ServerName: u.Hostname()})
			if err := tc.Handshake(); err != nil {
				nc.Close()
				return nil, err
			}
			nc = tc
		}
		return &conn{nc: nc, br: bufio.NewReaderSize(nc, 64<<10)}, nil
	}
	idle := make(chan *conn, c.MaxOutstanding)
	var live sync.Map // every connection made, to close at the end
	skipped := 0
	start := time.Now()
	paced := make(chan struct{})
	go func() { // the pacer: one goroutine on its own thread, writing each request when due
		defer close(paced)
		lockPacer()
		for i := range total {
			due := start.Add(time.Duration(i) * interval)
			if !sleepUntil(ctx, due) {
				total = i
				return
			}
			if outstanding.Load() >= int64(c.MaxOutstanding) {
				results[i].errKind = "skipped"
				skipped++
				continue
			}
			outstanding.Add(1)
			wg.Add(1)
			req := requests[i%len(requests)]
			for sent := false; !sent; {
				select {
				case k := <-idle:
					sent = k.send(i, due, req, c.Timeout) // false: it failed since it was last idle
				default:
					// None idle: a new connection, dialled off the pacer's thread, its
					// time counted in this request's latency.
					go func() {
						k, err := dial()
						if err != nil {
							done(i, result{errKind: errKind(err)})
							return
						}
						live.Store(k, nil)
						if k.send(i, due, req, c.Timeout) {
							k.read(done, idle)
						}
					}()
					sent = true
				}
			}
		}
	}()
	<-paced
	wg.Wait()
	live.Range(func(k, _ any) bool { k.(*conn).nc.Close(); return true })
	elapsed := time.Since(start.Add(c.Warmup))

	rep := Report{Config: c, ByStatus: map[string]int{}, Errors: map[string]int{}, Elapsed: elapsed}
	var lats, sends, lags []time.Duration
	for i := warm; i < total; i++ {
		r := results[i]
		if r.errKind == "skipped" {
			rep.Skipped++
			continue
		}
		rep.Sent++
		lags = append(lags, r.lag)
		if r.errKind != "" {
			rep.Errors[r.errKind]++
			continue
		}
		rep.ByStatus[strconv.Itoa(r.status)]++
		if r.status == http.StatusOK {
			rep.OK++
			lats = append(lats, r.latency)
			sends = append(sends, r.latency-r.lag)
		}
	}
	rep.Records = rep.OK * max(c.Batch, 1)
	rep.Achieved = float64(rep.Sent) / c.Duration.Seconds()
	if n := rep.Sent + rep.Skipped; n > 0 {
		rep.FailedRatio = float64(n-rep.OK) / float64(n)
	}
	slices.Sort(lats)
	slices.Sort(sends)
	slices.Sort(lags)
	rep.Quantiles, rep.FromSend = map[string]int64{}, map[string]int64{}
	for _, q := range []struct {
		name string
		p    float64
	}{{"p50", .5}, {"p90", .9}, {"p99", .99}, {"p99.9", .999}} {
		rep.Quantiles[q.name] = quantile(lats, q.p).Microseconds()
		rep.FromSend[q.name] = quantile(sends, q.p).Microseconds()
	}
	if len(lats) > 0 {
		rep.MaxLatency = lats[len(lats)-1]
	}
	rep.SendLagP99 = quantile(lags, .99)
	return rep, nil
}

func quantile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case strings.Contains(err.Error(), "connection refused"):
		return "refused"
	case strings.Contains(err.Error(), "connection reset"):
		return "reset"
	}
	return "other"
}

// sampleText is about n bytes of ordinary generated text; every 10th has a fraud phrase.
func sampleText(i, n int) string {
	base := "这款折叠婴儿车单手就能收起，周末带孩子去公园非常方便，推起来也很稳。" +
		"The stroller folds with one hand and fits in a small trunk; the canopy blocks the afternoon sun. "
	if i%10 == 0 {
		base += "兼职刷单返利，日赚五百。"
	}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(base)
	}
	s := b.String()
	// Cut at n bytes on a character boundary.
	for n < len(s) && n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:min(n, len(s))]
}

// WriteText prints the report for people.
func (r Report) WriteText(w io.Writer) {
	c := r.Config
	what := "single records"
	if c.Batch > 1 {
		what = fmt.Sprintf("batches of %d", c.Batch)
	}
	fmt.Fprintf(w, "target %.0f req/s of %s (~%d-byte texts) for %v after %v warm-up\n", c.Rate, what, c.TextBytes, c.Duration, c.Warmup)
	fmt.Fprintf(w, "sent %d (%.0f req/s, %d records answered), ok %d, skipped %d, failed %.3f%%\n",
		r.Sent, r.Achieved, r.Records, r.OK, r.Skipped, 100*r.FailedRatio)
	fmt.Fprintf(w, "latency from due time (µs): p50 %d  p90 %d  p99 %d  p99.9 %d  max %d\n",
		r.Quantiles["p50"], r.Quantiles["p90"], r.Quantiles["p99"], r.Quantiles["p99.9"], r.MaxLatency.Microseconds())
	fmt.Fprintf(w, "latency from send time (µs): p50 %d  p90 %d  p99 %d  p99.9 %d\n",
		r.FromSend["p50"], r.FromSend["p90"], r.FromSend["p99"], r.FromSend["p99.9"])
	fmt.Fprintf(w, "generator send lag p99: %v\n", r.SendLagP99.Round(time.Microsecond))
	if len(r.ByStatus) > 0 {
		fmt.Fprintf(w, "statuses: %v\n", r.ByStatus)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "transport errors: %v\n", r.Errors)
	}
}

// JSON returns the report as one JSON object.
func (r Report) JSON() []byte {
	b, _ := json.Marshal(r)
	return b
}
