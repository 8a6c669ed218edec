package pipeline

import (
	"context"
	"strings"
	"testing"
)

// TestCampaignThroughPipeline: with campaign_accounts 3, the third account pushing the same
// rumour within the window gets GL-CAMPAIGN-01 (review), the first two and a fourth do not,
// with a reload between the second and the third (Config.Campaigns holds the counts).
func TestCampaignThroughPipeline(t *testing.T) {
	cfg := DefaultConfig
	cfg.CampaignAccounts = 3
	cfg.Campaigns = NewCampaignDetector(&cfg)
	p, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rl := &Reloader{P: p, Cfg: cfg}
	w := p.NewWorker()
	const rec = `{"id":"c-ACC","time":"2026-10-05T08:0MIN:00Z","jurisdiction":"BR","platform":"p","role":"platform","account":"ACC","modality":"text","declared_ai":false,"text":"Urgente: amanhã todos os bancos da cidade vão suspender os saques por causa de uma auditoria, tire todo o seu dinheiro hoje e repasse esta mensagem para a família!"}`
	for i, acc := range []string{"a1", "a2", "a3", "a4"} {
		if acc == "a3" { // the counts survive a reload when the detector is held
			if err := rl.Reload(); err != nil {
				t.Fatal(err)
			}
			w = p.NewWorker()
		}
		raw := strings.NewReplacer("ACC", acc, "MIN", string(rune('0'+i))).Replace(rec)
		j, err := w.Judge(context.Background(), []byte(raw))
		if err != nil || j.Verdict == nil {
			t.Fatal(err, j.Reject)
		}
		fired := strings.Contains(string(j.VerdictJSON), `"id":"GL-CAMPAIGN-01"`)
		if fired != (acc == "a3") {
			t.Errorf("%s: GL-CAMPAIGN-01 fired=%v:\n%s", acc, fired, j.VerdictJSON)
		}
		if fired && !strings.Contains(string(j.VerdictJSON), `: 3 accounts in 10m0s`) {
			t.Errorf("detail:\n%s", j.VerdictJSON)
		}
	}
}
