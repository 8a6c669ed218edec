package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// TestRunCountsAndMeasures: against a server that answers 200 to most requests and 429
// to every 5th, the report counts each, the rate is held, and the latency of a 2 ms
// server is measured as at least 2 ms.
func TestRunCountsAndMeasures(t *testing.T) {
	var n, batches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		if r.URL.Path == "/v1/moderate/batch" {
			batches.Add(1)
		}
		var rec map[string]any
		if r.URL.Path == "/v1/moderate" {
			if err := json.NewDecoder(r.Body).Decode(&rec); err != nil || len(rec["text"].(string)) < 250 {
				w.WriteHeader(400)
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
		if n.Add(1)%5 == 0 {
			w.WriteHeader(429)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	rep, err := Run(context.Background(), Config{URL: srv.URL, Rate: 200, Duration: time.Second, Warmup: 200 * time.Millisecond,
		Batch: 1, TextBytes: 300, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent < 190 || rep.Sent > 210 {
		t.Errorf("sent %d in 1s at 200/s", rep.Sent)
	}
	if got := rep.ByStatus["429"]; got < rep.Sent/5-3 || got > rep.Sent/5+3 {
		t.Errorf("429s %d of %d, want about a fifth: %+v", got, rep.Sent, rep.ByStatus)
	}
	if rep.OK+rep.ByStatus["429"] != rep.Sent || rep.ByStatus["400"] != 0 || len(rep.Errors) != 0 {
		t.Errorf("report %+v", rep)
	}
	if p50 := rep.Quantiles["p50"]; p50 < 2000 || p50 > 200000 {
		t.Errorf("p50 %d µs for a 2 ms server", p50)
	}
	for _, q := range []string{"p50", "p99"} { // from send: the server's share, never more than from due
		if s, d := rep.FromSend[q], rep.Quantiles[q]; s < 2000 || s > d {
			t.Errorf("%s from send %d µs, from due %d µs, for a 2 ms server", q, s, d)
		}
	}
	var b strings.Builder
	rep.WriteText(&b)
	if !strings.Contains(b.String(), "p99.9") {
		t.Errorf("report text: %s", b.String())
	}

	rep, err = Run(context.Background(), Config{URL: srv.URL, Rate: 50, Duration: 500 * time.Millisecond, Batch: 10, TextBytes: 500, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if batches.Load() < 20 || rep.Records != rep.OK*10 {
		t.Errorf("batches %d, report %+v", batches.Load(), rep)
	}
}

func TestRunCountsTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	rep, err := Run(context.Background(), Config{URL: url, Rate: 100, Duration: 200 * time.Millisecond, TextBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != 0 || rep.Errors["refused"] < 15 || rep.FailedRatio != 1 {
		t.Errorf("report %+v", rep)
	}
}

func TestSampleText(t *testing.T) {
	for _, n := range []int{1, 100, 500, 4000} {
		s := sampleText(3, n)
		if !utf8.ValidString(s) || len(s) > n || len(s) < n-3 {
			t.Errorf("sampleText(%d): %d bytes, valid %v", n, len(s), utf8.ValidString(s))
		}
	}
}

// TestRunReadsEveryResponseShape: chunked bodies larger than the read buffer, and a
// server that closes the connection after some answers, are read whole; every request
// is answered, on new connections where needed, and none is counted as an error.
func TestRunReadsEveryResponseShape(t *testing.T) {
	var n atomic.Int64
	big := strings.Repeat("x", 200<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		if k%3 == 0 {
			w.Header().Set("Connection", "close")
		}
		if k%2 == 0 {
			w.Write([]byte(big)) // no Content-Length: sent chunked
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	rep, err := Run(context.Background(), Config{URL: srv.URL, Rate: 300, Duration: 500 * time.Millisecond, TextBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent < 140 || rep.OK != rep.Sent || len(rep.Errors) != 0 || int(n.Load()) != rep.Sent {
		t.Errorf("server answered %d; report %+v", n.Load(), rep)
	}
}
