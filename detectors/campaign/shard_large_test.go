package campaign

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
)

// variedParaphrase edits the rumour more than paraphrase does: each of its 12 clauses has
// two or three wordings, and a random clause may be left out.
func variedParaphrase(rng *rand.Rand) string {
	clauses := [][]string{
		{"紧急通知：", "重要消息！", "【转发】"},
		{"明天起", "明日起", "下周一起"},
		{"本市所有银行", "全市银行", "各家银行网点"},
		{"将暂停办理个人取款业务，", "将停止个人取现业务，"},
		{"原因是系统升级和资金清查，", "据说是因为系统升级、资金清查，", "理由是要做资金清查，"},
		{"请大家今天务必把存款全部取出，", "大家今天一定要把钱全部取出来，"},
		{"转入指定的安全账户保管，", "存到指定的安全账户里，"},
		{"等通知后再转回，", "等正式通知再转回去，", "过后再转回，"},
		{"我亲戚就在银行上班，", "银行内部人员透露，", ""},
		{"消息绝对可靠，", "千真万确，", ""},
		{"请转发给亲朋好友！", "请大家互相转告！！", "扩散，转给身边的人。", "速转！"},
	}
	var b strings.Builder
	for _, c := range clauses {
		b.WriteString(c[rng.IntN(len(c))])
	}
	return b.String()
}

// TestShardedLargeCampaign: a large campaign of varied copies (2,000 accounts in 8
// minutes, 20 accounts make a campaign) is several pieces of content for a single process
// too (its copies agree on less than half their values); through several partitions it is
// reported under no more fingerprints than by one process (content that a copy started in
// one partition while it joined older content in another never reports), and at least
// once. The figures are logged (docs/layers.md quotes them).
func TestShardedLargeCampaign(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	var obs []Observation
	for k := range 2000 {
		obs = append(obs, Observation{Sig: fingerprint.MinHashOf(variedParaphrase(rng)), Who: uint64(k + 1),
			At: start.Add(time.Duration(k) * 250 * time.Millisecond), RecordID: fmt.Sprint(k)})
	}
	cfg := Config{Accounts: 20}
	single := New(cfg)
	var want int
	for i := range obs {
		if _, ok := single.Observe(&obs[i]); ok {
			want++
		}
	}
	for _, n := range []int{1, 3, 6, 12} {
		s := newShardSim(n, cfg, 1)
		for i := range obs {
			s.publish(obs[i])
			s.step(1 + s.rng.IntN(20))
		}
		s.drain()
		var ids []string
		for _, c := range s.found {
			ids = append(ids, fmt.Sprintf("%s (%d)", c.ID, c.Accounts))
		}
		t.Logf("%d partitions: %d campaigns (single process: %d): %v", n, len(s.found), want, ids)
		if len(s.found) == 0 || len(s.found) > want {
			t.Errorf("%d partitions: %d campaigns, want 1 to %d", n, len(s.found), want)
		}
	}
}
