package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

var campaignPartsRe = regexp.MustCompile(`msg="campaign partitions assigned" .*?partitions="\[([^\]]*)\]"`)

// campaignParts returns how many campaign partitions p was given last (-1: none yet).
func (p *proc) campaignParts() int {
	m := campaignPartsRe.FindAllStringSubmatch(p.log.String(), -1)
	if len(m) == 0 {
		return -1
	}
	return len(strings.Fields(m[len(m)-1][1]))
}

// TestRunTwoProcessesCampaign: two `aigcwatch run` processes on the real broker, with
// --campaign-accounts 50 and a six-partition --campaign-topic, judge the 1,000 campaign
// records (50 paraphrases of one rumour from 50 accounts within 10 minutes, 950 ordinary
// answers) from a six-partition input topic: each owns some campaign partitions, and
// exactly one campaign event reaches the incidents topic, naming the fingerprint and 50
// accounts.
func TestRunTwoProcessesCampaign(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	rt := newRunTopics(t, addr, 6)
	camp := kafkatest.CreateTopic(t, addr, "campaign", 6)
	env, args := rt.args()
	args = append(args, "--campaign-accounts", "50", "--campaign-topic", camp)
	a := startProc(t, "a", bin, env, args...)
	b := startProc(t, "b", bin, env, args...)
	if err := streamtest.Until(time.Minute, func() bool {
		la, lb := a.assigned(), b.assigned()
		ca, cb := a.campaignParts(), b.campaignParts()
		return len(la) > 0 && len(lb) > 0 && la[len(la)-1] > 0 && lb[len(lb)-1] > 0 && la[len(la)-1]+lb[len(lb)-1] == 6 &&
			ca > 0 && cb > 0 && ca+cb == 6
	}); err != nil {
		t.Fatalf("the two processes did not share the partitions: a %v %d, b %v %d", a.assigned(), a.campaignParts(), b.assigned(), b.campaignParts())
	}
	streamtest.Produce(t, addr, rt.in, streamtest.CampaignRecords(t))
	streamtest.WaitLag(t, addr, rt.in, rt.group, 6, 0, 3*time.Minute)
	events := func() (out []map[string]any) {
		for _, m := range streamtest.ReadAll(t, addr, rt.incidents, 3) {
			if !strings.Contains(string(m.Value), `"type":"aigcwatch.campaign"`) {
				continue
			}
			var ev map[string]any
			if err := json.Unmarshal(m.Value, &ev); err != nil {
				t.Fatal(err)
			}
			if m.Key != ev["subject"] {
				t.Errorf("event keyed %q, not by its fingerprint %v", m.Key, ev["subject"])
			}
			out = append(out, ev)
		}
		return out
	}
	if err := streamtest.Until(time.Minute, func() bool { return len(events()) > 0 }); err != nil {
		t.Fatal("no campaign event")
	}
	streamtest.WaitLag(t, addr, camp, rt.group+".campaigns", 6, 0, time.Minute)
	time.Sleep(2 * time.Second) // a second event, if there were one, would be written by now
	evs := events()
	if len(evs) != 1 {
		t.Fatalf("%d campaign events, want 1: %v", len(evs), evs)
	}
	data, _ := evs[0]["data"].(map[string]any)
	fp, _ := data["fingerprint"].(string)
	if data["accounts"] != 50.0 || !strings.HasPrefix(fp, "minhash:") || evs[0]["id"] != fp+"/"+unixString(data["window_start"]) ||
		!strings.HasPrefix(data["record_id"].(string), "camp-") {
		t.Errorf("event %v", evs[0])
	}
	t.Logf("campaign event: %v (record %v)", data["detail"], data["record_id"])
	for _, p := range []*proc{a, b} {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if err := <-p.done; err != nil {
			t.Errorf("%s exited with %v after SIGTERM", p.name, err)
		}
		p.done <- nil
	}
}

func unixString(v any) string {
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "bad time " + s
	}
	return strconv.FormatInt(at.Unix(), 10)
}
