package stream

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
)

// TestFreshMetadataSeesNewTopic: a topic created after a transport cached the broker's
// metadata is unknown to that transport until its next refresh (kafka-go serves metadata
// requests from the cache), while freshMetadata sees it at once. Campaigns.Run and
// Runner.checkTopics wait for their topics with freshMetadata: on the shared transport an
// instance started next to a new topic waited up to 6 s, long enough for a test to stop
// it before it ever wrote its observations.
func TestFreshMetadataSeesNewTopic(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tr := &kafka.Transport{MetadataTTL: time.Hour}
	defer tr.CloseIdleConnections()
	cached := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second, Transport: tr}
	if _, err := cached.Metadata(ctx, &kafka.MetadataRequest{}); err != nil {
		t.Fatal(err)
	}
	topic := kafkatest.CreateTopic(t, addr, "fresh", 3)

	md, err := cached.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error == nil {
		t.Logf("the cached transport already knows %s (%v): kafka-go no longer caches metadata this way", topic, err)
	}
	md, err = freshMetadata(ctx, []string{addr}, "test", topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) != 3 {
		t.Fatalf("freshMetadata(%s) = %+v, want the topic with 3 partitions", topic, md.Topics)
	}
}
