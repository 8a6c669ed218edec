// Package streamtest holds the helpers of the streaming integration tests (package stream
// and the `aigcwatch run` process tests): HC3 content records, producing them, reading
// output topics to the end, waiting for a group to commit everything, and the
// none-missing/duplicates check. It talks to a real broker (internal/kafkatest starts it).
package streamtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"

	"github.com/segmentio/kafka-go"
)

// DataDir returns ../shared/data (next to the repository), or skips the test when its
// corpus is absent.
func DataDir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(shareddata.Path(t, "corpus"))
}

var hc3 struct {
	once  sync.Once
	texts []string
	err   error
}

// HC3Texts returns the texts of the HC3+ zh validation sets (qa and si), skipping the test
// when the files are absent.
func HC3Texts(t testing.TB) []string {
	t.Helper()
	dir := DataDir(t)
	hc3.once.Do(func() {
		for _, name := range []string{"hc3plus_zh_val_qa.jsonl", "hc3plus_zh_val_si.jsonl"} {
			f, err := os.Open(filepath.Join(dir, "corpus", name))
			if err != nil {
				hc3.err = err
				return
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 4<<20)
			for sc.Scan() {
				var l struct {
					Text string `json:"text"`
				}
				if err := json.Unmarshal(sc.Bytes(), &l); err == nil && l.Text != "" {
					hc3.texts = append(hc3.texts, l.Text)
				}
			}
			f.Close()
			if err := sc.Err(); err != nil {
				hc3.err = err
				return
			}
		}
	})
	if hc3.err != nil {
		t.Skipf("streamtest: HC3 data unreadable: %v", hc3.err)
	}
	if len(hc3.texts) == 0 {
		t.Skip("streamtest: no HC3 texts")
	}
	return hc3.texts
}

// Record is one input: its id and its JSON.
type Record struct {
	ID    string
	Value []byte
}

// Records wraps n HC3 texts (repeated as needed) into content records with ids
// prefix-000000…, eight providers and the CN jurisdiction. Texts are cut to maxText bytes
// (at a rune boundary) when maxText > 0.
func Records(t testing.TB, prefix string, n, maxText int) []Record {
	t.Helper()
	texts := HC3Texts(t)
	out := make([]Record, n)
	for i := range out {
		text := texts[i%len(texts)]
		if maxText > 0 && len(text) > maxText {
			text = cutRunes(text, maxText)
		}
		id := fmt.Sprintf("%s-%06d", prefix, i)
		v, err := json.Marshal(map[string]any{
			"id": id, "provider": fmt.Sprintf("provider-%d", i%8), "service": "chat", "role": "provider",
			"modality": "text", "jurisdiction": "CN", "text": text,
		})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = Record{ID: id, Value: v}
	}
	return out
}

func cutRunes(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Writer returns a producer for tests: acks=all, small batches, a transport of its own
// (kafka.DefaultTransport caches metadata and fails on topics created since).
func Writer(addr string) *kafka.Writer {
	return &kafka.Writer{Addr: kafka.TCP(addr), Balancer: kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll,
		BatchTimeout: 2 * time.Millisecond, BatchSize: 1000, MaxAttempts: 10, Transport: &kafka.Transport{}}
}

// Produce writes records to topic (key: record id), four chunks at a time, retrying until
// they are all acknowledged.
func Produce(t testing.TB, addr, topic string, recs []Record) {
	t.Helper()
	w := Writer(addr)
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const chunk = 5000
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for i := 0; i < len(recs); i += chunk {
		msgs := make([]kafka.Message, 0, chunk)
		for _, r := range recs[i:min(i+chunk, len(recs))] {
			msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(r.ID), Value: r.Value})
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for {
				err := w.WriteMessages(ctx, msgs...)
				if err == nil {
					return
				}
				if ctx.Err() != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				// A retried write may duplicate inputs (Check would count them): tests
				// produce this way while the broker is up.
				time.Sleep(200 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("streamtest: producing to %s: %v", topic, err)
	default:
	}
}

func client(addr string) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second, Transport: &kafka.Transport{}}
}

// EndOffsets returns the end offset of each partition of topic.
func EndOffsets(ctx context.Context, addr, topic string, partitions int) (map[int]int64, error) {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for p := range partitions {
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
	}
	res, err := client(addr).ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	out := map[int]int64{}
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			return nil, p.Error
		}
		out[p.Partition] = p.LastOffset
	}
	return out, nil
}

// Lag returns end offset minus committed offset of group on topic, summed over partitions.
func Lag(ctx context.Context, addr, topic, group string, partitions int) (int64, error) {
	ids := make([]int, partitions)
	for i := range ids {
		ids[i] = i
	}
	off, err := client(addr).OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ids}})
	if err != nil {
		return 0, err
	}
	if off.Error != nil {
		return 0, off.Error
	}
	end, err := EndOffsets(ctx, addr, topic, partitions)
	if err != nil {
		return 0, err
	}
	var lag int64
	for _, p := range off.Topics[topic] {
		if p.Error != nil {
			return 0, p.Error
		}
		lag += end[p.Partition] - max(p.CommittedOffset, 0)
	}
	return lag, nil
}

// WaitLag waits until the group's lag on topic is at most want, polling; errors (a broker
// restarting) are retried. It fails the test after timeout, saying the last lag seen.
func WaitLag(t testing.TB, addr, topic, group string, partitions int, want int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last int64 = -1
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		lag, err := Lag(ctx, addr, topic, group, partitions)
		cancel()
		if err == nil {
			last = lag
			if lag <= want {
				return
			}
		} else {
			lastErr = err
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("streamtest: group %s on %s: lag %d after %v, want <= %d (last error: %v)", group, topic, last, timeout, want, lastErr)
}

// Message is an output message as read back.
type Message struct {
	Partition int
	Offset    int64
	Key       string
	Value     []byte
	Headers   map[string]string
}

// ReadAll reads every message of topic from the beginning to its current end.
func ReadAll(t testing.TB, addr, topic string, partitions int) []Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	end, err := EndOffsets(ctx, addr, topic, partitions)
	if err != nil {
		t.Fatalf("streamtest: end offsets of %s: %v", topic, err)
	}
	var mu sync.Mutex
	var out []Message
	var wg sync.WaitGroup
	errs := make(chan error, partitions)
	for p := range partitions {
		if end[p] == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: p,
				MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 100 * time.Millisecond, ReadLagInterval: -1, QueueCapacity: 1000})
			defer r.Close()
			var local []Message
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					errs <- fmt.Errorf("partition %d: %w", p, err)
					return
				}
				h := map[string]string{}
				for _, x := range m.Headers {
					h[x.Key] = string(x.Value)
				}
				local = append(local, Message{Partition: p, Offset: m.Offset, Key: string(m.Key), Value: m.Value, Headers: h})
				if m.Offset >= end[p]-1 {
					break
				}
			}
			mu.Lock()
			out = append(out, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("streamtest: reading %s: %v", topic, err)
	}
	return out
}

// Check counts, for the verdicts read back, which record ids have none and how many
// extra copies (duplicates) there are. It fails the test when one is missing or a verdict
// names an unknown record, and logs the duplicates (at-least-once allows them).
func Check(t testing.TB, recs []Record, verdicts []Message) (duplicates int) {
	t.Helper()
	seen := make(map[string]int, len(recs))
	for _, r := range recs {
		seen[r.ID] = 0
	}
	var unknown []string
	for _, v := range verdicts {
		n, ok := seen[v.Key]
		if !ok {
			unknown = append(unknown, v.Key)
			continue
		}
		seen[v.Key] = n + 1
	}
	var missing []string
	for id, n := range seen {
		switch {
		case n == 0:
			missing = append(missing, id)
		case n > 1:
			duplicates += n - 1
		}
	}
	sort.Strings(missing)
	if len(unknown) > 0 {
		t.Errorf("streamtest: %d verdicts for unknown record ids, e.g. %q", len(unknown), unknown[0])
	}
	if len(missing) > 0 {
		t.Errorf("streamtest: %d of %d records have no verdict, e.g. %s", len(missing), len(recs), strings.Join(missing[:min(5, len(missing))], ", "))
	}
	t.Logf("streamtest: %d records, %d verdicts, %d missing, %d duplicates", len(recs), len(verdicts), len(missing), duplicates)
	return duplicates
}

// StripLatency removes latency_us from a verdict, which differs between two runs.
func StripLatency(t testing.TB, v []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(v, &m); err != nil {
		t.Fatalf("streamtest: verdict is not JSON: %v: %.200s", err, v)
	}
	delete(m, "latency_us")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ErrTimeout is returned by Until when the condition did not hold in time.
var ErrTimeout = errors.New("streamtest: timed out")

// Until polls cond every 50 ms until it holds or timeout passes.
func Until(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return ErrTimeout
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// ProduceSteadily writes recs at about rate records/s in the background, retrying a failed
// write (a broker restarting) until it is acknowledged, so that every record is in the
// topic at least once (a retried write may store some twice: Check counts them as
// duplicates). Failures after 5 minutes are reported with t.Errorf. The channel closes
// when all are written.
func ProduceSteadily(t testing.TB, addr, topic string, recs []Record, rate int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := Writer(addr)
		w.MaxAttempts = 3
		defer w.Close()
		const chunk = 100
		tick := time.NewTicker(time.Second * chunk / time.Duration(rate))
		defer tick.Stop()
		for i := 0; i < len(recs); i += chunk {
			<-tick.C
			msgs := make([]kafka.Message, 0, chunk)
			for _, r := range recs[i:min(i+chunk, len(recs))] {
				msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(r.ID), Value: r.Value, Time: time.Now()})
			}
			deadline := time.Now().Add(5 * time.Minute)
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := w.WriteMessages(ctx, msgs...)
				cancel()
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("streamtest: producer gave up: %v", err)
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	return done
}

// MixedRecords is a realistic platform mix: n records of which one in every flagEvery
// is a fraud script with a contact (reviewed and reported in CN), the rest HC3 texts
// from providers whose interface shows an AI label (allowed, bar the rare lexicon hit
// in HC3 itself). Texts are cut to maxText bytes when maxText > 0.
func MixedRecords(t testing.TB, prefix string, n, flagEvery, maxText int) []Record {
	t.Helper()
	texts := HC3Texts(t)
	frauds := []string{"加我微信，刷单返利，日赚500", "【兼职】刷单返利，日结200元，加微信了解详情。", "安全账户转账，请私聊客服"}
	out := make([]Record, n)
	for i := range out {
		id := fmt.Sprintf("%s-%06d", prefix, i)
		rec := map[string]any{"id": id, "provider": fmt.Sprintf("provider-%d", i%8), "service": "chat", "role": "provider",
			"modality": "text", "jurisdiction": "CN", "labels": map[string]any{"interface": true}}
		if flagEvery > 0 && i%flagEvery == flagEvery-1 {
			rec["text"] = frauds[i%len(frauds)]
		} else {
			text := texts[i%len(texts)]
			if maxText > 0 && len(text) > maxText {
				text = cutRunes(text, maxText)
			}
			rec["text"] = text
		}
		v, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = Record{ID: id, Value: v}
	}
	return out
}
