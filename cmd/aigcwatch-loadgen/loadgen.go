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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
	// FromSend are the same requests' quantiles from when each was sent: the server's
	// share, without the generator's own lateness (Go's timers wake on a 1 ms tick when
	// the process is idle, so a request due 200 µs after the last may be sent up to
	// ~1 ms late). Latency from due time is the figure that counts; this one says how
	// much of it the generator added.
	FromSend    map[string]int64 `json:"latency_from_send_us"`
	MaxLatency  time.Duration    `json:"max_ns"`
	SendLagP99  time.Duration    `json:"send_lag_p99_ns"` // how late the generator sent, p99: large means the generator was the bottleneck
	FailedRatio float64          `json:"failed_ratio"`
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
	url := strings.TrimRight(c.URL, "/") + path
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        c.MaxOutstanding,
		MaxIdleConnsPerHost: c.MaxOutstanding,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: c.Timeout}

	// Bodies are made ahead of time so that building them does not add to the send lag.
	texts := make([]string, 64)
	for i := range texts {
		texts[i] = sampleText(i, c.TextBytes)
	}
	body := func(n int) []byte {
		var b bytes.Buffer
		for k := range max(c.Batch, 1) {
			id := n*max(c.Batch, 1) + k
			fmt.Fprintf(&b, `{"id":"load-%d","jurisdiction":"CN","provider":"loadgen","role":"platform","modality":"text","text":%q}`, id, texts[id%len(texts)])
			if c.Batch > 1 {
				b.WriteByte('\n')
			}
		}
		return b.Bytes()
	}

	interval := time.Duration(float64(time.Second) / c.Rate)
	total := int((c.Warmup + c.Duration) / interval)
	warm := int(c.Warmup / interval)
	bodies := make([][]byte, min(total, 4096))
	for i := range bodies {
		bodies[i] = body(i)
	}
	results := make([]result, total)
	var outstanding atomic.Int64
	var wg sync.WaitGroup
	skipped := 0
	start := time.Now()
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				total = i
			}
		}
		if ctx.Err() != nil {
			total = i
			break
		}
		if outstanding.Load() >= int64(c.MaxOutstanding) {
			results[i].errKind = "skipped"
			skipped++
			continue
		}
		outstanding.Add(1)
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			defer outstanding.Add(-1)
			r := &results[i]
			r.lag = time.Since(due)
			req, err := http.NewRequest("POST", url, bytes.NewReader(bodies[i%len(bodies)]))
			if err != nil {
				r.errKind = "request"
				return
			}
			req.Header.Set("Content-Type", ct)
			if c.Token != "" {
				req.Header.Set("Authorization", "Bearer "+c.Token)
			}
			resp, err := client.Do(req)
			if err != nil {
				r.errKind = errKind(err)
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			r.latency = time.Since(due)
			r.status = resp.StatusCode
			if err != nil {
				r.errKind = errKind(err)
			}
		}(i, due)
	}
	wg.Wait()
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
