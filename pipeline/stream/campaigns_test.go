package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors/campaign"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

// TestCampaignTwoInstances runs two instances in one group on the real broker, sharing a
// campaign topic of six partitions: 1,000 records, 50 of them paraphrases of one message
// from 50 accounts within 10 minutes, the rest ordinary answers from other accounts,
// spread over the six input partitions and so over both instances. Each instance owns
// some of the campaign partitions; exactly one campaign is found and one campaign event is
// written, naming the fingerprint and 50 accounts.
func TestCampaignTwoInstances(t *testing.T) {
	t.Parallel()
	campaignTwoInstances(t, 6)
}

// TestCampaignTwoInstancesOnePartition: the same through a campaign topic of one
// partition (the form --campaign-topic required before): one instance owns it, and the
// result is the same.
func TestCampaignTwoInstancesOnePartition(t *testing.T) {
	t.Parallel()
	campaignTwoInstances(t, 1)
}

// campaignConfig creates an input topic of inParts partitions and a campaign topic of
// campParts on the test broker, and returns the broker, the topics and a config that
// reports a campaign at accounts accounts.
func campaignConfig(t *testing.T, inParts, campParts, accounts int) (string, topics, stream.Config) {
	t.Helper()
	addr := kafkatest.Broker(t)
	tp := newTopics(t, addr, inParts)
	campTopic := kafkatest.CreateTopic(t, addr, "campaign", campParts)
	c := tp.config(t)
	c.Pipeline.CampaignAccounts = accounts
	c.Pipeline.CampaignTopic = campTopic
	return addr, tp, c
}

func campaignTwoInstances(t *testing.T, campParts int) {
	addr, tp, c := campaignConfig(t, 6, campParts, 50)

	var camps [2]*stream.Campaigns
	var runs [2]*running
	for i := range camps {
		cm, err := stream.NewCampaigns(c, fmt.Sprint("instance-", i), testLogger(t))
		if err != nil || cm == nil {
			t.Fatal(cm, err)
		}
		camps[i] = cm
		ci := c
		ci.Pipeline.Campaigns = pipeline.NewSharedCampaignDetector(&ci.Pipeline, cm.Publish)
		runs[i] = start(t, ci)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- cm.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("campaigns.Run: %v", err)
			}
		})
	}
	// Both in both groups: each joined a generation, and the generations have been stable
	// for 3 s, so no rebalance is pending; the campaign partitions are all owned.
	var last [4]int64
	stableSince := time.Now()
	if err := streamtest.Until(2*time.Minute, func() bool {
		g := [4]int64{runs[0].r.Stats().Generations, runs[1].r.Stats().Generations, camps[0].Stats().Generations, camps[1].Stats().Generations}
		if g != last {
			last, stableSince = g, time.Now()
		}
		owned := camps[0].Stats().Partitions + camps[1].Stats().Partitions
		return g[0] >= 1 && g[1] >= 1 && g[2] >= 1 && g[3] >= 1 && owned == int64(campParts) && time.Since(stableSince) >= 3*time.Second
	}); err != nil {
		t.Fatalf("instances did not both join: %v (%+v %+v)", err, camps[0].Stats(), camps[1].Stats())
	}

	recs := streamtest.CampaignRecords(t)
	streamtest.Produce(t, addr, tp.in, recs)
	streamtest.WaitLag(t, addr, tp.in, c.Group, tp.partitions, 0, 3*time.Minute)
	// Every banded observation written has been assigned, and every assignment counted.
	sum := func(f func(stream.CampaignStats) int64) int64 { return f(camps[0].Stats()) + f(camps[1].Stats()) }
	if err := streamtest.Until(2*time.Minute, func() bool {
		sent, obs := sum(func(s stream.CampaignStats) int64 { return s.Sent }), sum(func(s stream.CampaignStats) int64 { return s.Observed })
		return sent > 0 && obs >= sent &&
			sum(func(s stream.CampaignStats) int64 { return s.Assigned }) >= obs
	}); err != nil {
		t.Fatalf("campaign partitions behind: %+v %+v", camps[0].Stats(), camps[1].Stats())
	}
	streamtest.WaitLag(t, addr, c.Pipeline.CampaignTopic, c.Group+".campaigns", campParts, 0, time.Minute)
	s0, s1 := camps[0].Stats(), camps[1].Stats()
	t.Logf("instance 0: %+v\ninstance 1: %+v", s0, s1)
	if s0.Published == 0 || s1.Published == 0 {
		t.Errorf("one instance judged nothing: the test did not scale out (%d, %d)", s0.Published, s1.Published)
	}
	if campParts > 1 && (s0.Observed == 0 || s1.Observed == 0 || s0.Assigned == 0 || s1.Assigned == 0) {
		t.Errorf("one instance counted nothing: the campaign partitions are not shared")
	}
	if s0.Dropped+s1.Dropped != 0 || s0.Bad+s1.Bad != 0 {
		t.Errorf("dropped or bad observations")
	}
	if s0.Campaigns+s1.Campaigns != 1 || s0.Written+s1.Written != 1 {
		t.Errorf("campaigns found %d and %d, written %d: want one, and one event", s0.Campaigns, s1.Campaigns, s0.Written+s1.Written)
	}
	var events []stream.CampaignEvent
	var ids []string
	for _, m := range streamtest.ReadAll(t, addr, tp.incidents, 3) {
		if !strings.Contains(string(m.Value), `"type":"aigcwatch.campaign"`) {
			continue
		}
		var ev struct {
			ID   string               `json:"id"`
			Data stream.CampaignEvent `json:"data"`
		}
		if err := json.Unmarshal(m.Value, &ev); err != nil {
			t.Fatal(err)
		}
		events, ids = append(events, ev.Data), append(ids, ev.ID)
		if m.Key != ev.Data.Fingerprint {
			t.Errorf("event keyed %q, want the fingerprint %q", m.Key, ev.Data.Fingerprint)
		}
		// Delivery, the history and routes read events through Summarize: a campaign event
		// must be one they take (it was parked as "not an incident" before).
		sum, err := incident.Summarize(m.Value)
		if want := (incident.Summary{ID: ev.ID, Layer: "global", Severity: "medium", Decision: incident.CampaignDecision}); err != nil ||
			sum.ID != want.ID || sum.Layer != want.Layer || sum.Severity != want.Severity || sum.Decision != want.Decision || sum.Provider != "" {
			t.Errorf("campaign event summarised as %+v, %v; want %+v", sum, err, want)
		}
	}
	if len(events) != 1 {
		t.Fatalf("%d campaign events, want 1: %+v", len(events), events)
	}
	ev := events[0]
	if ev.Accounts != 50 || !strings.HasPrefix(ev.Fingerprint, "minhash:") || ev.Window != "10m0s" || ev.Layer != "global" ||
		!strings.HasPrefix(ev.RecordID, "camp-") || !strings.HasPrefix(ids[0], ev.Fingerprint+"/") {
		t.Errorf("event %+v (id %s)", ev, ids[0])
	}
	t.Logf("campaign event: %s, reached at %s", ev.Detail, ev.RecordID)
}

// TestCampaignsConfig: no topic, no campaigns; a topic needs campaign_accounts, an origin,
// and a name no other topic has.
func TestCampaignsConfig(t *testing.T) {
	t.Parallel()
	c := stream.DefaultConfig
	c.Brokers, c.Group, c.Topics = []string{"127.0.0.1:1"}, "g", []string{"in"}
	if cm, err := stream.NewCampaigns(c, "x", nil); cm != nil || err != nil {
		t.Fatalf("no topic: %v %v", cm, err)
	}
	c.Pipeline.CampaignTopic = "camp"
	if _, err := stream.NewCampaigns(c, "x", nil); err == nil || !strings.Contains(err.Error(), "campaign_accounts") {
		t.Errorf("no accounts: %v", err)
	}
	c.Pipeline.CampaignAccounts = 10
	if _, err := stream.NewCampaigns(c, "", nil); err == nil {
		t.Error("empty origin accepted")
	}
	c.Pipeline.CampaignTopic = "in"
	if _, err := stream.NewCampaigns(c, "x", nil); err == nil || !strings.Contains(err.Error(), "also another topic") {
		t.Errorf("topic clash: %v", err)
	}
}

// TestCampaignsStoppedBeforeTopic: observations queued while the campaign topic does not
// exist yet, by an instance stopped before it does, are counted as dropped, not lost
// silently.
func TestCampaignsStoppedBeforeTopic(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	tp := newTopics(t, addr, 1)
	c := tp.config(t)
	c.Pipeline.CampaignAccounts = 5
	c.Pipeline.CampaignTopic = kafkatest.Name(t, "never-created")
	cm, err := stream.NewCampaigns(c, "a", testLogger(t))
	if err != nil || cm == nil {
		t.Fatal(cm, err)
	}
	for i := range 7 {
		cm.Publish(campaign.Observation{Sig: fingerprint.MinHashOf(streamtest.Rumour(i)), Who: uint64(i), At: time.Now(), RecordID: fmt.Sprint(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := cm.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if s := cm.Stats(); s.Published != 7 || s.Dropped != 7 || s.Sent != 0 {
		t.Fatalf("stats %+v, want 7 published and 7 dropped", s)
	}
}
