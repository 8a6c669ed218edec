package kafkatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	cases := []struct{ name, prefix string }{
		{"plain", "input"},
		{"odd characters", "in put/ü:*"},
		{"long", strings.Repeat("x", 300)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := Name(t, tc.prefix), Name(t, tc.prefix)
			if a == b {
				t.Errorf("two calls gave the same name %q", a)
			}
			for _, n := range []string{a, b} {
				if !valid.MatchString(n) || len(n) > 249 {
					t.Errorf("Name(%q) = %q: not a valid topic name", tc.prefix, n)
				}
				if !strings.Contains(n, "TestName") {
					t.Errorf("Name(%q) = %q: does not carry the test name", tc.prefix, n)
				}
			}
		})
	}
}

func TestRetriable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"eof", io.EOF, true},
		{"unexpected eof wrapped", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true},
		{"reset", syscall.ECONNRESET, true},
		{"no leader", kafka.LeaderNotAvailable, true},
		{"not controller", kafka.NotController, true},
		{"topic exists", kafka.TopicAlreadyExists, false},
		{"invalid partitions", kafka.InvalidPartitionNumber, false},
		{"other", errors.New("boom"), false},
	}
	for _, tc := range cases {
		if got := retriable(tc.err); got != tc.want {
			t.Errorf("%s: retriable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// produce writes n messages key-i/value-i (i from start) with acks=all and returns their values.
func produce(t testing.TB, addr, topic string, start, n int) []string {
	t.Helper()
	// A Transport of its own: kafka.DefaultTransport serves metadata from a cache refreshed every
	// few seconds, and WriteMessages fails at once for a topic created since.
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
		MaxAttempts:  10,
		Transport:    tr,
	}
	defer w.Close()
	msgs := make([]kafka.Message, n)
	vals := make([]string, n)
	for i := range msgs {
		vals[i] = "value-" + strconv.Itoa(start+i)
		msgs[i] = kafka.Message{Key: []byte("key-" + strconv.Itoa(start+i)), Value: []byte(vals[i])}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("producing %d messages to %s: %v", n, topic, err)
	}
	return vals
}

// consumeGroup reads n distinct messages in consumer group group with FetchMessage, committing
// each, and returns their values. A failed commit (the group's generation can end under it, seen
// once on a loaded machine) is logged and retried before returning; a redelivered message is
// logged and not counted twice.
func consumeGroup(t testing.TB, addr, topic, group string, n int) []string {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     []string{addr},
		GroupID:     group,
		Topic:       topic,
		StartOffset: kafka.FirstOffset,
		MaxWait:     100 * time.Millisecond,
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []string
	seen := map[string]bool{}
	pending := map[int]kafka.Message{} // per partition, the last message whose commit failed
	for len(got) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("after %d of %d messages from %s: %v", len(got), n, topic, err)
		}
		if want := "key-" + strings.TrimPrefix(string(m.Value), "value-"); string(m.Key) != want {
			t.Errorf("message %q has key %q, want %q", m.Value, m.Key, want)
		}
		if seen[string(m.Value)] {
			t.Logf("redelivered after a failed commit: %s", m.Value)
		} else {
			seen[string(m.Value)] = true
			got = append(got, string(m.Value))
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Logf("commit of partition %d offset %d failed (retried): %v", m.Partition, m.Offset, err)
			pending[m.Partition] = m
		} else {
			delete(pending, m.Partition)
		}
	}
	for len(pending) > 0 {
		for p, m := range pending {
			if err := r.CommitMessages(ctx, m); err != nil {
				if ctx.Err() != nil {
					t.Fatalf("committing partition %d of %s: %v", p, topic, err)
				}
				continue
			}
			delete(pending, p)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got
}

// committedLag returns, summed over partitions, end offset minus the group's committed offset.
func committedLag(t testing.TB, addr, topic, group string, partitions int) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl := &kafka.Client{Addr: kafka.TCP(addr)}
	ids := make([]int, partitions)
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for p := range ids {
		ids[p] = p
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
	}
	var lag int64
	err := retry(ctx, func() error {
		lag = 0
		off, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ids}})
		if err != nil {
			return err
		}
		if off.Error != nil {
			return off.Error
		}
		end, err := cl.ListOffsets(ctx, req)
		if err != nil {
			return err
		}
		last := map[int]int64{}
		for _, p := range end.Topics[topic] {
			if p.Error != nil {
				return p.Error
			}
			last[p.Partition] = p.LastOffset
		}
		for _, p := range off.Topics[topic] {
			if p.Error != nil {
				return p.Error
			}
			c := max(p.CommittedOffset, 0) // -1: nothing committed
			lag += last[p.Partition] - c
		}
		return nil
	})
	if err != nil {
		t.Fatalf("committed offsets of group %s on %s: %v", group, topic, err)
	}
	return lag
}

func sameSet(t testing.TB, got, want []string) {
	t.Helper()
	g, w := append([]string(nil), got...), append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if len(g) != len(w) {
		t.Fatalf("got %d messages, want %d", len(g), len(w))
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("message sets differ: got %q where %q expected (sorted position %d)", g[i], w[i], i)
		}
	}
}

func TestBrokerProduceConsumeCommit(t *testing.T) {
	t.Parallel()
	addr := Broker(t)
	topic := CreateTopic(t, addr, "roundtrip", 3)
	group := Name(t, "group")

	want := produce(t, addr, topic, 0, 300)
	got := consumeGroup(t, addr, topic, group, len(want))
	sameSet(t, got, want)
	if lag := committedLag(t, addr, topic, group, 3); lag != 0 {
		t.Errorf("after committing every message the group's lag is %d, want 0", lag)
	}
	// The group resumes after its commits: only new messages come.
	more := produce(t, addr, topic, 300, 30)
	sameSet(t, consumeGroup(t, addr, topic, group, len(more)), more)
}

func TestCreateTopicUniqueAndSized(t *testing.T) {
	t.Parallel()
	addr := Broker(t)
	a := CreateTopic(t, addr, "sized", 6)
	b := CreateTopic(t, addr, "sized", 2)
	if a == b {
		t.Fatalf("two CreateTopic calls returned the same topic %q", a)
	}
	c, err := dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for topic, want := range map[string]int{a: 6, b: 2} {
		ps, err := c.ReadPartitions(topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != want {
			t.Errorf("topic %s has %d partitions, want %d", topic, len(ps), want)
		}
	}
	// The broker refuses to auto-create topics: a typo in a test must fail, not create a topic.
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: Name(t, "never-created"), RequiredAcks: kafka.RequireAll,
		MaxAttempts: 2, BatchTimeout: time.Millisecond, Transport: tr}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("x")}); err == nil {
		t.Error("writing to a topic that was never created succeeded: auto.create.topics.enable is on")
	}
}

// TestKcatRoundTrip checks kafka-go against a real third-party client in both directions.
func TestKcatRoundTrip(t *testing.T) {
	t.Parallel()
	addr := Broker(t)
	kcat := Kcat(t)
	topic := CreateTopic(t, addr, "kcat", 2)

	// kcat produces (acks=all), kafka-go consumes in a group.
	var in bytes.Buffer
	var fromKcat []string
	for i := range 50 {
		fromKcat = append(fromKcat, "value-"+strconv.Itoa(i))
		fmt.Fprintf(&in, "key-%d:value-%d\n", i, i)
	}
	cmd := exec.Command(kcat, "-b", addr, "-t", topic, "-P", "-K:", "-X", "acks=all")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	sameSet(t, consumeGroup(t, addr, topic, Name(t, "group"), len(fromKcat)), fromKcat)

	// kafka-go produces, kcat reads everything to the end.
	fromGo := produce(t, addr, topic, 50, 50)
	out, err := exec.Command(kcat, "-b", addr, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%k=%s\n").Output()
	if err != nil {
		t.Fatalf("kcat -C: %v", err)
	}
	var got []string
	for line := range strings.Lines(string(out)) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if !ok || "key-"+strings.TrimPrefix(v, "value-") != k {
			t.Errorf("kcat read %q: key and value do not match", line)
		}
		got = append(got, v)
	}
	sameSet(t, got, append(fromKcat, fromGo...))
}

// TestPrivateBrokerLifecycle drives scripts/kafka.sh through every command on a broker of its own:
// idempotent up and down, topic creation, and data and group offsets surviving a graceful restart
// and a kill -9.
func TestPrivateBrokerLifecycle(t *testing.T) {
	t.Parallel()
	start := time.Now()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }
	s := Private(t)
	addr := s.Addr
	step("private broker up")

	out, err := s.run(time.Minute, "up")
	if err != nil || !bytes.Contains(out, []byte("already up")) {
		t.Fatalf("second up: err %v, output %q; want success saying already up", err, out)
	}
	if out, err := s.run(time.Minute, "status"); err != nil || !bytes.HasPrefix(out, []byte("up: "+addr)) {
		t.Fatalf("status: err %v, output %q", err, out)
	}

	// The script's topic command: creates, is idempotent, refuses a different partition count.
	if _, err := s.run(time.Minute, "topic", "scripted", "4"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.run(time.Minute, "topic", "scripted", "4"); err != nil {
		t.Fatalf("creating an existing topic again: %v", err)
	}
	if out, err := s.run(time.Minute, "topic", "scripted", "2"); err == nil {
		t.Errorf("topic with another partition count succeeded: %s", out)
	}
	// Without kcat the script probes and checks with the Kafka tools.
	noKcat := *s
	noKcat.env = append(slices.Clone(s.env), "KCAT=none")
	if out, err := noKcat.run(time.Minute, "status"); err != nil {
		t.Errorf("status without kcat: %v", err)
	} else if !bytes.HasPrefix(out, []byte("up: ")) {
		t.Errorf("status without kcat: %q", out)
	}
	if out, err := noKcat.run(time.Minute, "topic", "scripted", "2"); err == nil || !bytes.Contains(out, []byte("exists with 4 partitions")) {
		t.Errorf("topic with another partition count, without kcat: err %v, output %q", err, out)
	}
	if err := WaitTopic(context.Background(), addr, "scripted", 4); err != nil {
		t.Fatal(err)
	}

	step("script commands")
	topic := CreateTopic(t, addr, "lifecycle", 3)
	group := Name(t, "group")
	want := produce(t, addr, topic, 0, 500)
	got := consumeGroup(t, addr, topic, group, 200)

	// Graceful restart: the messages and the group's commits survive; admin calls work again.
	step("consumed 200")
	s.Restart(t)
	step("restarted")
	got = append(got, consumeGroup(t, addr, topic, group, 300)...)
	sameSet(t, got, want)
	step("consumed 300")
	after := CreateTopic(t, addr, "after-restart", 1)

	// Crash: messages acknowledged with acks=all before the kill are there after the restart.
	want = append(want, produce(t, addr, topic, 500, 100)...)
	step("produced 100")
	s.Kill(t)
	step("killed")
	if out, err := s.run(time.Minute, "status"); err == nil {
		t.Fatalf("status after kill succeeded: %s", out)
	}
	s.Start(t)
	step("started")
	got = append(got, consumeGroup(t, addr, topic, group, 100)...)
	sameSet(t, got, want)
	if lag := committedLag(t, addr, topic, group, 3); lag != 0 {
		t.Errorf("group lag %d after consuming everything, want 0", lag)
	}
	produce(t, addr, after, 0, 1)
	step("consumed 100")

	// down is idempotent, and status tells "down" with exit code 3.
	s.Stop(t)
	s.Stop(t)
	out, err = s.run(time.Minute, "status")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !bytes.HasPrefix(out, []byte("down: ")) {
		t.Errorf("status of a stopped broker: err %v, output %q; want exit code 3 and \"down: \"", err, out)
	}
}

// TestConcurrentUp is what `go test ./...` does: several test binaries run `kafka.sh up` on the
// same broker at once. All must succeed and exactly one broker process must run.
func TestConcurrentUp(t *testing.T) {
	t.Parallel()
	s := newPrivate(t)
	const n = 3
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := s.run(upTimeout, "up")
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	state := strings.TrimPrefix(s.env[2], "AIGCWATCH_KAFKA_STATE=")
	out, _ := exec.Command("pgrep", "-f", "kafka[.]Kafka "+state+"/server.properties").Output()
	if pids := strings.Fields(string(out)); len(pids) != 1 {
		t.Fatalf("%d broker processes for %s after %d concurrent ups (%v), want 1", len(pids), state, n, pids)
	}
	topic := CreateTopic(t, s.Addr, "concurrent", 1)
	want := produce(t, s.Addr, topic, 0, 5)
	sameSet(t, consumeGroup(t, s.Addr, topic, Name(t, "group"), len(want)), want)
}

// TestClusterIDWithLeadingDash: a cluster id is 22 random URL-safe base64 characters, so
// one in 64 starts with '-'; kafka-storage's option parser took such an id for an option
// and formatting failed (TestConcurrentUp failed that way once). kafka.sh passes it as
// --cluster-id=ID.
func TestClusterIDWithLeadingDash(t *testing.T) {
	t.Parallel()
	s := newPrivate(t)
	var state string
	for _, e := range s.env {
		if v, ok := strings.CutPrefix(e, "AIGCWATCH_KAFKA_STATE="); ok {
			state = v
		}
	}
	const id = "-zCxsCQ_yM5HivAR5rhgQg"
	if err := os.WriteFile(filepath.Join(state, "cluster.id"), []byte(id), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Start(t)
	meta, err := os.ReadFile(filepath.Join(state, "data", "meta.properties"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(meta, []byte("cluster.id="+id+"\n")) {
		t.Fatalf("meta.properties does not name cluster %s:\n%s", id, meta)
	}
}
