package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// EnvKeepTopics set to 1 keeps the topics CreateTopic made after the test (for inspection with
// kcat); by default they are deleted so that the broker's disk does not grow run after run.
const EnvKeepTopics = "AIGCWATCH_KEEP_TOPICS"

// adminTimeout bounds each admin helper, retries included.
const adminTimeout = 60 * time.Second

// Name returns a name unique to this test and this run, built from prefix and the test's name,
// valid as a Kafka topic or consumer group name: [A-Za-z0-9._-], at most 200 characters.
func Name(t testing.TB, prefix string) string {
	t.Helper()
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("kafkatest: random name: %v", err)
	}
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
				return r
			}
			return '_'
		}, s)
	}
	prefix, test := clean(prefix), clean(t.Name())
	if len(prefix) > 60 {
		prefix = prefix[:60]
	}
	if len(test) > 120 {
		test = test[:120]
	}
	return prefix + "-" + test + "-" + hex.EncodeToString(rnd[:])
}

// CreateTopic creates a topic with the given partitions (replication 1) under a name unique to
// the test (see Name; name is its prefix), waits until every partition has a leader, and returns
// the name. The topic is deleted when the test ends unless AIGCWATCH_KEEP_TOPICS=1. Admin calls
// are retried on connection errors and retriable Kafka errors, as the first call after a broker
// restart can fail with EOF.
func CreateTopic(t testing.TB, addr, name string, partitions int) string {
	t.Helper()
	topic := Name(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	err := retry(ctx, func() error {
		return withController(ctx, addr, func(c *kafka.Conn) error {
			err := c.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1})
			if errors.Is(err, kafka.TopicAlreadyExists) {
				return nil // an earlier attempt got through before its connection dropped
			}
			return err
		})
	})
	if err != nil {
		t.Fatalf("kafkatest: creating topic %q (%d partitions) on %s: %v", topic, partitions, addr, err)
	}
	if os.Getenv(EnvKeepTopics) != "1" {
		t.Cleanup(func() { deleteTopic(t, addr, topic) })
	}
	if err := WaitTopic(ctx, addr, topic, partitions); err != nil {
		t.Fatal(err)
	}
	return topic
}

// WaitTopic waits until topic has the given number of partitions, each with a leader, as seen in
// the metadata of the broker at addr. After a broker restart it tells when producing can resume.
func WaitTopic(ctx context.Context, addr, topic string, partitions int) error {
	var last error
	for {
		last = func() error {
			c, err := dial(ctx, addr)
			if err != nil {
				return err
			}
			defer c.Close()
			ps, err := c.ReadPartitions(topic)
			if err != nil {
				return err
			}
			if len(ps) != partitions {
				return fmt.Errorf("%d of %d partitions in metadata", len(ps), partitions)
			}
			for _, p := range ps {
				if p.Leader.Host == "" || p.Leader.ID < 0 {
					return fmt.Errorf("partition %d has no leader", p.ID)
				}
			}
			return nil
		}()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafkatest: topic %q on %s not ready: %v (%w)", topic, addr, last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func deleteTopic(t testing.TB, addr, topic string) {
	// Shorter than adminTimeout: the test may have left the broker down on purpose.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// kafka.Client, not Conn: it reports errors per topic, so "already gone" can be told apart.
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second, Transport: tr}
	err := retry(ctx, func() error {
		resp, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
		if errors.Is(err, syscall.ECONNREFUSED) {
			return permanent{err} // the broker is down: nothing to delete now
		}
		if err != nil {
			return err
		}
		if err := resp.Errors[topic]; err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
			return err
		}
		return nil
	})
	if err != nil {
		// A broker deliberately left down by the test is not a failure of the test.
		t.Logf("kafkatest: deleting topic %q: %v", topic, err)
	}
}

func dial(ctx context.Context, addr string) (*kafka.Conn, error) {
	d := &kafka.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, nil
}

// withController runs fn on a connection to the cluster's controller (the node that accepts
// topic creation; on the single-node broker, the broker itself).
func withController(ctx context.Context, addr string, fn func(*kafka.Conn) error) error {
	c, err := dial(ctx, addr)
	if err != nil {
		return err
	}
	ctrl, err := c.Controller()
	c.Close()
	if err != nil {
		return err
	}
	cc, err := dial(ctx, net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		return err
	}
	defer cc.Close()
	return fn(cc)
}

// permanent marks an error that retry must return at once, retriable or not.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// retry calls fn until it succeeds, fails with an error that is not retriable, or ctx ends.
func retry(ctx context.Context, fn func() error) error {
	backoff := 50 * time.Millisecond
	for {
		err := fn()
		var p permanent
		if errors.As(err, &p) {
			return p.err
		}
		if err == nil || !retriable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// retriable reports whether an admin call may succeed when repeated: the connection failed (the
// broker is restarting) or Kafka said the error is temporary (no leader or controller yet).
func retriable(err error) bool {
	var kerr kafka.Error
	var nerr net.Error
	switch {
	case errors.As(err, &kerr):
		return kerr.Temporary()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed):
		return true
	case errors.As(err, &nerr):
		return nerr.Timeout()
	}
	return false
}

// DeleteAtCleanup deletes topic (made by the code under test, not by CreateTopic) when
// the test ends, unless AIGCWATCH_KEEP_TOPICS=1.
func DeleteAtCleanup(t testing.TB, addr, topic string) {
	t.Helper()
	if os.Getenv(EnvKeepTopics) != "1" {
		t.Cleanup(func() { deleteTopic(t, addr, topic) })
	}
}
