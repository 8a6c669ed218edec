package stream_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

func produceValues(t *testing.T, addr, topic string, values ...string) {
	t.Helper()
	w := streamtest.Writer(addr)
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var msgs []kafka.Message
	for _, v := range values {
		msgs = append(msgs, kafka.Message{Topic: topic, Value: []byte(v)})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// TestBanksTopic runs the runtime against a real broker with a banks topic: additions
// made before start are read from the beginning (a bad line in the same message is
// counted and skipped), an addition made while running is applied, and a record whose PDQ
// is near each addition gets a verdict carrying the hash finding.
func TestBanksTopic(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	tp := newTopics(t, addr, 1)
	banksTopic := kafkatest.CreateTopic(t, addr, "banks", 2)
	const (
		a     = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
		nearA = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b2f" // 3 bits
		b     = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		nearB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde0" // 4 bits
	)
	produceValues(t, addr, banksTopic,
		"# a comment\npdq:"+a+"\tknown_deepfake\tdf-a\tpolitician\tregulator-x\npdq:zz\tknown_deepfake\tbroken\t\t\n",
		"pdq:"+a+"\tno_such_bank\tx\t\t")

	c := tp.config(t)
	c.Pipeline.BanksTopic = banksTopic
	c.Pipeline.Fingerprints = fingerprint.NewMatcher(nil)
	run := start(t, c)
	_ = run
	banks, err := stream.NewBanks(c, nil, testLogger(t))
	if err != nil || banks == nil {
		t.Fatal(banks, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- banks.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("banks.Run: %v", err)
		}
	})
	select {
	case <-banks.Ready():
	case <-time.After(time.Minute):
		t.Fatalf("banks topic not caught up: %v", banks.Stats())
	}
	if st := banks.Stats(); st.Added != 1 || st.Malformed != 1 || st.Rejected != 1 || st.Messages != 2 {
		t.Fatalf("after catching up: %v, want 2 messages, 1 added, 1 malformed, 1 rejected", st)
	}

	produceValues(t, addr, banksTopic, "pdq:"+b+"\tknown_illegal\till-b\tterror\tgifct\n")
	if err := streamtest.Until(time.Minute, func() bool { return banks.Stats().Added == 2 }); err != nil {
		t.Fatalf("live addition not applied: %v", banks.Stats())
	}
	recs := []streamtest.Record{
		{ID: "near-a", Value: []byte(`{"id":"near-a","jurisdiction":"BR","modality":"image","media":{"pdq":"` + nearA + `","pdq_quality":90}}`)},
		{ID: "near-b", Value: []byte(`{"id":"near-b","jurisdiction":"BR","modality":"image","media":{"pdq":"` + nearB + `","pdq_quality":90}}`)},
	}
	streamtest.Produce(t, addr, tp.in, recs)
	streamtest.WaitLag(t, addr, tp.in, c.Group, tp.partitions, 0, 2*time.Minute)
	got := map[string]string{}
	for _, v := range streamtest.ReadAll(t, addr, tp.verdicts, 3) {
		got[v.Key] = string(v.Value)
	}
	want := map[string][]string{
		"near-a": {`"category":"hash.known_deepfake"`, `"entry":"df-a"`, `"distance":3`},
		"near-b": {`"category":"hash.known_illegal"`, `"entry":"ill-b"`, `"distance":4`, `"decision":"block"`},
	}
	for id, ws := range want {
		v, ok := got[id]
		if !ok {
			t.Errorf("no verdict for %s", id)
			continue
		}
		for _, w := range ws {
			if !strings.Contains(v, w) {
				t.Errorf("verdict of %s lacks %s:\n%s", id, w, v)
			}
		}
	}
}
