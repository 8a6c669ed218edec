package deliver

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// SharedDedup shares the delivered ids of several delivery processes through a compacted
// Kafka topic (KafkaConfig.DeliveredTopic): each MarkDelivered is recorded locally and
// published (key "receiver\x00id", acks from all in-sync replicas) before the incidents
// are acknowledged; every process reads the topic into its local set with
// ConsumeDelivered. When a rebalance hands a partition to another process, the incidents
// the first one delivered but had not committed are then known there as well, and are not
// sent again (once the marker has been read: typically milliseconds, and the hand-over of
// a crashed process waits a whole session timeout).
type SharedDedup struct {
	Local Dedup
	w     *kafka.Writer
}

// NewSharedDedup returns a SharedDedup over local, publishing to cfg.DeliveredTopic.
// Close it when done.
func NewSharedDedup(cfg KafkaConfig, local Dedup) *SharedDedup {
	return &SharedDedup{Local: local, w: &kafka.Writer{
		Addr:                   kafka.TCP(cfg.Brokers...),
		Topic:                  cfg.DeliveredTopic,
		Balancer:               kafka.Murmur2Balancer{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           2 * time.Millisecond,
		MaxAttempts:            5,
		AllowAutoTopicCreation: false,
		Transport:              &kafka.Transport{ClientID: cfg.ClientID, DialTimeout: 5 * time.Second},
	}}
}

// Seen implements Dedup: the local set, which ConsumeDelivered keeps up to date.
func (d *SharedDedup) Seen(ctx context.Context, receiver string, ids []string) (map[string]bool, error) {
	return d.Local.Seen(ctx, receiver, ids)
}

// MarkDelivered implements Dedup: locally, then on the topic.
func (d *SharedDedup) MarkDelivered(ctx context.Context, receiver string, ids []string) error {
	if err := d.Local.MarkDelivered(ctx, receiver, ids); err != nil {
		return err
	}
	msgs := make([]kafka.Message, len(ids))
	for i, id := range ids {
		msgs[i] = kafka.Message{Key: []byte(receiver + "\x00" + id)}
	}
	if err := d.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("deliver: delivered topic %s: %w", d.w.Topic, err)
	}
	return nil
}

// Close flushes and closes the producer.
func (d *SharedDedup) Close() error { return d.w.Close() }

// ConsumeDelivered reads the delivered topic in group (one per process) into local until
// ctx ends, so this process knows what the others delivered.
func ConsumeDelivered(ctx context.Context, cfg KafkaConfig, group string, local Dedup, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "deliver")
	return consumeBatches(ctx, cfg, cfg.DeliveredTopic, group, 1024, 2*time.Millisecond, log, func(batch []kafka.Message) bool {
		by := map[string][]string{}
		for _, m := range batch {
			rcv, id, ok := bytes.Cut(m.Key, []byte{0})
			if !ok || len(id) == 0 {
				log.Warn("delivered topic: a key that is not receiver NUL id; skipped", "partition", m.Partition, "offset", m.Offset)
				continue
			}
			by[string(rcv)] = append(by[string(rcv)], string(id))
		}
		for rcv, ids := range by {
			for local.MarkDelivered(ctx, rcv, ids) != nil {
				if !sleep(ctx, time.Second) {
					return false
				}
			}
		}
		return true
	})
}
