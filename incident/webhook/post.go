package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Content types of CloudEvents over HTTP.
const (
	ContentTypeStructured = "application/cloudevents+json"       // one event, structured mode
	ContentTypeBatch      = "application/cloudevents-batch+json" // a JSON array of events, batched mode
)

// Message is one signed POST.
type Message struct {
	URL         string
	ID          string // webhook-id: the same on every retry of the message
	Body        []byte
	ContentType string
	Secrets     []Secret
}

// Result is the outcome of one attempt.
type Result struct {
	Status     int           // HTTP status; 0 when no answer came (Err says why)
	RetryAfter time.Duration // the answer's Retry-After, 0 if none
	Answer     string        // start of the answer's body, for the parked record
	Err        error         // transport error, nil when an answer came
}

// OK reports a 2xx answer: the receiver has the message.
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Retryable reports whether trying again may succeed: no answer, a 5xx, 408 or 429.
// Any other non-2xx answer (a 3xx not followed, a 4xx) is the receiver refusing the
// message: retrying would not change its mind, so it is parked with the answer.
func (r Result) Retryable() bool {
	return r.Err != nil || r.Status >= 500 || r.Status == http.StatusRequestTimeout || r.Status == http.StatusTooManyRequests
}

// Class is the status class for metrics: 2xx, 3xx, 4xx, 5xx or network (a closed set).
func (r Result) Class() string {
	switch {
	case r.Err != nil || r.Status == 0:
		return "network"
	case r.Status < 300:
		return "2xx"
	case r.Status < 400:
		return "3xx"
	case r.Status < 500:
		return "4xx"
	}
	return "5xx"
}

// Error describes a failed attempt (empty for a 2xx).
func (r Result) Error() string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.OK():
		return ""
	case r.Answer != "":
		return fmt.Sprintf("HTTP %d: %s", r.Status, r.Answer)
	}
	return fmt.Sprintf("HTTP %d", r.Status)
}

// maxAnswer bounds the answer kept with a failed attempt.
const maxAnswer = 512

// Post sends m once, signed at now, and reports the outcome. Redirects are not followed
// (a signed message goes where it was configured to go).
func Post(ctx context.Context, c *http.Client, m Message, now time.Time) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Err: err}
	}
	req.Header.Set("Content-Type", m.ContentType)
	req.Header.Set("User-Agent", "aigcwatch-webhook/1")
	SetHeaders(req.Header, m.ID, now, m.Body, m.Secrets...)
	resp, err := c.Do(req)
	if err != nil {
		return Result{Err: err}
	}
	defer resp.Body.Close()
	ans, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	return Result{Status: resp.StatusCode, RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), now),
		Answer: strings.TrimSpace(strings.ToValidUTF8(string(ans), "?"))}
}

// NewClient returns an HTTP client that does not follow redirects.
func NewClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// RetryAfter parses a Retry-After value: delay-seconds or an HTTP date. 0 when absent or
// unreadable.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 1<<30)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
