package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/detectors/campaign"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

// campInstance is one `aigcwatch run` instance with a campaign topic.
type campInstance struct {
	run   *running
	camps *stream.Campaigns
	stop  func()
}

func startCampInstance(t *testing.T, c stream.Config, origin string) *campInstance {
	t.Helper()
	cm, err := stream.NewCampaigns(c, origin, testLogger(t))
	if err != nil || cm == nil {
		t.Fatal(cm, err)
	}
	c.Pipeline.Campaigns = pipeline.NewSharedCampaignDetector(&c.Pipeline, cm.Publish)
	in := &campInstance{run: start(t, c), camps: cm}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cm.Run(ctx) }()
	stopped := false
	in.stop = func() {
		if stopped {
			return
		}
		stopped = true
		in.run.shutdown(t) // judging first: every observation it made is queued
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("campaigns.Run: %v", err)
			}
		case <-time.After(time.Minute):
			t.Errorf("campaigns.Run did not return within a minute of cancellation")
		}
	}
	t.Cleanup(in.stop)
	return in
}

// TestCampaignRestart: the campaign state survives the instances. Two instances judge the
// first 600 records (30 of the 50 campaign accounts) and stop; a new instance, which owns
// every campaign partition and rebuilds their state from the topic, judges the other
// 400: one campaign event, with the 50 accounts of both halves.
func TestCampaignRestart(t *testing.T) {
	t.Parallel()
	addr, tp, c := campaignConfig(t, 6, 6, 50)
	recs := streamtest.CampaignRecords(t)

	a, b := startCampInstance(t, c, "a"), startCampInstance(t, c, "b")
	// Both instances own campaign partitions: the first 600 records are judged by both.
	if err := streamtest.Until(2*time.Minute, func() bool {
		pa, pb := a.camps.Stats().Partitions, b.camps.Stats().Partitions
		return pa > 0 && pb > 0 && pa+pb == 6
	}); err != nil {
		t.Fatalf("the campaign partitions were not shared: %+v, %+v", a.camps.Stats(), b.camps.Stats())
	}
	streamtest.Produce(t, addr, tp.in, recs[:600])
	streamtest.WaitLag(t, addr, tp.in, c.Group, tp.partitions, 0, 3*time.Minute)
	waitCampaigns(t, addr, c, c.Pipeline.CampaignTopic, a, b)
	a.stop()
	b.stop()
	s := []stream.CampaignStats{a.camps.Stats(), b.camps.Stats()}
	t.Logf("before the restart: %+v\n%+v", s[0], s[1])
	if s[0].Campaigns+s[1].Campaigns != 0 {
		t.Fatalf("a campaign from 30 accounts")
	}
	if s[0].Dropped+s[1].Dropped != 0 {
		t.Fatalf("observations dropped before the restart: %d", s[0].Dropped+s[1].Dropped)
	}

	n := startCampInstance(t, c, "new")
	streamtest.Produce(t, addr, tp.in, recs[600:])
	streamtest.WaitLag(t, addr, tp.in, c.Group, tp.partitions, 0, 3*time.Minute)
	waitCampaigns(t, addr, c, c.Pipeline.CampaignTopic, n)
	sn := n.camps.Stats()
	t.Logf("after: %+v", sn)
	if sn.Replayed == 0 {
		t.Errorf("nothing replayed: the state was not rebuilt from the topic")
	}
	if sn.Campaigns != 1 || sn.Written != 1 {
		t.Errorf("campaigns %d, written %d: want 1 and 1", sn.Campaigns, sn.Written)
	}
	oneCampaignEvent(t, addr, tp.incidents)
}

// waitCampaigns waits until the instances' campaign partitions have processed everything
// they published and the campaign group has no lag.
func waitCampaigns(t *testing.T, addr string, c stream.Config, topic string, ins ...*campInstance) {
	t.Helper()
	sum := func(f func(stream.CampaignStats) int64) int64 {
		var n int64
		for _, in := range ins {
			n += f(in.camps.Stats())
		}
		return n
	}
	if err := streamtest.Until(2*time.Minute, func() bool {
		sent, obs := sum(func(s stream.CampaignStats) int64 { return s.Sent }), sum(func(s stream.CampaignStats) int64 { return s.Observed })
		return sent > 0 && obs >= sent && sum(func(s stream.CampaignStats) int64 { return s.Assigned }) >= obs
	}); err != nil {
		var all []string
		for _, in := range ins {
			all = append(all, fmt.Sprintf("%+v", in.camps.Stats()))
		}
		t.Fatalf("campaign partitions behind: %v", all)
	}
	streamtest.WaitLag(t, addr, topic, c.Group+".campaigns", 6, 0, time.Minute)
}

// TestCampaignHandOver: two instances share the campaign partitions while the records
// flow (250 a second); one stops gracefully in the middle, and the other takes its input
// and campaign partitions over, rebuilding their state from the topic: one campaign event,
// with the 50 accounts.
func TestCampaignHandOver(t *testing.T) {
	t.Parallel()
	addr, tp, c := campaignConfig(t, 6, 6, 50)

	a, b := startCampInstance(t, c, "a"), startCampInstance(t, c, "b")
	if err := streamtest.Until(2*time.Minute, func() bool {
		pa, pb := a.camps.Stats().Partitions, b.camps.Stats().Partitions
		return pa > 0 && pb > 0 && pa+pb == 6
	}); err != nil {
		t.Fatal("the campaign partitions were not shared")
	}
	produced := streamtest.ProduceSteadily(t, addr, tp.in, streamtest.CampaignRecords(t), 250)
	time.Sleep(2 * time.Second)
	b.stop()
	sb := b.camps.Stats()
	t.Logf("b stopped: %+v", sb)
	if sb.Observed == 0 || sb.Published == 0 {
		t.Errorf("b did no campaign work before it stopped")
	}
	<-produced
	streamtest.WaitLag(t, addr, tp.in, c.Group, tp.partitions, 0, 3*time.Minute)
	if err := streamtest.Until(time.Minute, func() bool { return a.camps.Stats().Partitions == 6 }); err != nil {
		t.Fatalf("a did not take every campaign partition: %+v", a.camps.Stats())
	}
	streamtest.WaitLag(t, addr, c.Pipeline.CampaignTopic, c.Group+".campaigns", 6, 0, time.Minute)
	time.Sleep(time.Second)
	sa := a.camps.Stats()
	t.Logf("a: %+v", sa)
	if sa.Replayed == 0 {
		t.Errorf("a replayed nothing: the partitions it took over were not rebuilt")
	}
	if sa.Dropped+sb.Dropped != 0 {
		t.Errorf("observations dropped: %d", sa.Dropped+sb.Dropped)
	}
	oneCampaignEvent(t, addr, tp.incidents)
}

// TestCampaignTopicBadMessages: what is not a campaign-topic message (JSON, an observation
// of the one-partition format of earlier versions, a banded observation without bands)
// and an assignment in a partition its fingerprint does not belong to are skipped and
// counted; the instance goes on.
func TestCampaignTopicBadMessages(t *testing.T) {
	t.Parallel()
	addr, _, c := campaignConfig(t, 1, 2, 5)
	in := startCampInstance(t, c, "a")
	if err := streamtest.Until(time.Minute, func() bool { return in.camps.Stats().Partitions == 2 }); err != nil {
		t.Fatal("the campaign partitions were not assigned")
	}
	o := campaign.Observation{Sig: fingerprint.MinHashOf(streamtest.Rumour(0)), Who: 1, At: time.Now(), RecordID: "r"}
	old, _ := o.MarshalBinary()
	noBands, _ := (&campaign.Banded{Of: 1, Observation: o}).MarshalBinary()
	noBands[1], noBands[2], noBands[3], noBands[4] = 0, 0, 0, 0
	fp := uint64(2) // partition 0 of 2
	wrong, _ := (&campaign.Assignment{FP: fp, Who: 1, At: time.Now(), Of: 1}).MarshalBinary()
	for p, vals := range map[int][][]byte{0: {[]byte(`{"id":"x"}`), old}, 1: {noBands, wrong}} {
		conn, err := kafka.DialLeader(context.Background(), "tcp", addr, c.Pipeline.CampaignTopic, p)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []kafka.Message
		for _, v := range vals {
			msgs = append(msgs, kafka.Message{Value: v})
		}
		if _, err := conn.WriteMessages(msgs...); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	if err := streamtest.Until(time.Minute, func() bool { return in.camps.Stats().Bad == 4 }); err != nil {
		t.Fatalf("bad messages counted: %+v, want 4", in.camps.Stats())
	}
	streamtest.WaitLag(t, addr, c.Pipeline.CampaignTopic, c.Group+".campaigns", 2, 0, time.Minute)
	if s := in.camps.Stats(); s.Campaigns != 0 || s.Assigned != 0 || s.Observed != 0 {
		t.Errorf("bad messages were applied: %+v", s)
	}
}

// oneCampaignEvent requires exactly one campaign event, with 50 accounts, on topic.
func oneCampaignEvent(t *testing.T, addr, topic string) {
	t.Helper()
	var events []stream.CampaignEvent
	for _, m := range streamtest.ReadAll(t, addr, topic, 3) {
		if strings.Contains(string(m.Value), `"type":"aigcwatch.campaign"`) {
			var ev struct {
				Data stream.CampaignEvent `json:"data"`
			}
			if err := json.Unmarshal(m.Value, &ev); err != nil {
				t.Fatal(err)
			}
			events = append(events, ev.Data)
		}
	}
	if len(events) != 1 || events[0].Accounts != 50 {
		t.Fatalf("campaign events %+v, want one with 50 accounts", events)
	}
	t.Logf("campaign event: %s, reached at %s", events[0].Detail, events[0].RecordID)
}
