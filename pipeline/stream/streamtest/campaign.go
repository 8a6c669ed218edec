package streamtest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// Rumour returns variant i of one message, edited the way copy-paste campaigns are (36
// variants: the day, the banks and the closing line change).
func Rumour(i int) string {
	when := []string{"明天", "明日", "下周一"}[i%3]
	who := []string{"所有银行", "全市银行", "各家银行"}[i/3%3]
	tail := []string{"请转发给亲朋好友！", "请大家互相转告！！", "扩散，转给身边的人。", "速转！"}[i/9%4]
	return "紧急通知：" + when + "起本市" + who + "将暂停办理个人取款业务，原因是系统升级和资金清查，" +
		"请大家今天务必把存款全部取出，转入指定的安全账户保管，等通知后再转回，" + tail
}

// CampaignRecords returns the 1,000 records of the campaign tests: every 20th (from the
// 8th, ids camp-0007, camp-0027, …) is a paraphrase of one rumour (Rumour) from its own
// account (bot-00 … bot-49), 11 s apart (50 in 9 minutes); the others are HC3 Plus
// answers from other accounts (user-…), 3 s apart.
func CampaignRecords(t testing.TB) []Record {
	t.Helper()
	texts := HC3Texts(t)
	start := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	var recs []Record
	k, j := 0, 0
	for i := 0; i < 1000; i++ {
		r := map[string]any{"id": fmt.Sprintf("camp-%04d", i), "jurisdiction": "BR", "platform": "p", "role": "platform",
			"modality": "text", "declared_ai": false}
		if i%20 == 7 {
			r["text"], r["account"] = Rumour(k), fmt.Sprintf("bot-%02d", k)
			r["time"] = start.Add(time.Duration(k) * 11 * time.Second)
			k++
		} else {
			r["text"], r["account"] = texts[j%len(texts)], fmt.Sprintf("user-%04d", j)
			r["time"] = start.Add(time.Duration(i) * 3 * time.Second)
			j++
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, Record{ID: r["id"].(string), Value: b})
	}
	return recs
}
