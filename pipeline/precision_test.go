package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"
	"github.com/aigcwatch/aigcwatch/rules"
)

// False decisions of the default configuration on text written by people, as a platform
// would see it uploaded (role platform, declared_ai false): every decision other than
// allow is a false decision unless the text really is a risk. The figures, and a look at
// every non-allow, are in docs/lexicon.md ("False decisions on human text"):
//
//	go test -run TestFalseDecisionsOnHumanText -v ./pipeline/
//
// The corpora are ../shared/data/corpus (Chinese) and Debian's fortunes (English,
// installed by scripts/deps.sh); a missing one is skipped, saying so.

type humanCorpus struct {
	name, jurisdiction string
	texts              []string
}

func humanCorpora(t *testing.T) []humanCorpus {
	var out []humanCorpus
	if p := shareddata.Find("corpus/waimai_10k.csv"); p != "" {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, r := range rows[1:] {
			texts = append(texts, r[1])
		}
		out = append(out, humanCorpus{"waimai_10k (human reviews)", "CN", texts})
	} else {
		t.Log("waimai_10k absent (../shared/data/corpus): skipped")
	}
	var human []string
	for _, name := range []string{"hc3plus_zh_val_qa.jsonl", "hc3plus_zh_val_si.jsonl"} {
		p := shareddata.Find("corpus/" + name)
		if p == "" {
			t.Logf("%s absent: skipped", name)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			var r struct {
				Text  string `json:"text"`
				Label int    `json:"label"`
			}
			if json.Unmarshal(line, &r) == nil && r.Label == 0 && r.Text != "" {
				human = append(human, r.Text)
			}
		}
	}
	if len(human) > 0 {
		out = append(out, humanCorpus{"HC3 Plus zh, human-written", "CN", human})
	}
	var fortunes []string
	if ents, err := os.ReadDir("/usr/share/games/fortunes"); err == nil {
		for _, de := range ents {
			n := de.Name()
			if de.IsDir() || strings.Contains(n, ".") {
				continue
			}
			data, err := os.ReadFile(filepath.Join("/usr/share/games/fortunes", n))
			if err != nil {
				continue
			}
			if u8, err := os.ReadFile(filepath.Join("/usr/share/games/fortunes", n+".u8")); err == nil {
				data = u8
			}
			for _, f := range bytes.Split(data, []byte("\n%\n")) {
				if f = bytes.TrimSpace(f); len(f) > 0 {
					fortunes = append(fortunes, string(f))
				}
			}
		}
	}
	if len(fortunes) > 0 {
		for _, j := range []string{"US", "UK", "DE"} {
			out = append(out, humanCorpus{"Debian fortunes (English)", j, fortunes})
		}
	} else {
		t.Log("Debian fortunes absent (scripts/deps.sh installs them): skipped")
	}
	return out
}

func TestFalseDecisionsOnHumanText(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: judges about 60,000 texts")
	}
	corpora := humanCorpora(t)
	if len(corpora) == 0 {
		t.Skip("no human corpus found")
	}
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	w := p.NewWorker()
	ctx := context.Background()
	for _, c := range corpora {
		byRule := map[string]int{}
		examples := map[string][]string{}
		flagged := 0
		for i, text := range c.texts {
			raw, _ := json.Marshal(map[string]any{"id": fmt.Sprint(i), "jurisdiction": c.jurisdiction, "role": "platform",
				"modality": "text", "declared_ai": false, "text": text})
			j, err := w.Judge(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if j.Reject != nil {
				continue // oversize texts: the dead-letter path is tested elsewhere
			}
			if j.Verdict.Decision == rules.Allow {
				continue
			}
			flagged++
			for _, r := range j.Verdict.Rules {
				byRule[r.ID]++
				if len(examples[r.ID]) < 3 {
					var terms []string
					for _, f := range j.Verdict.Findings {
						if f.Evidence.Term != "" {
							terms = append(terms, f.Category+":"+f.Evidence.Term)
						}
					}
					examples[r.ID] = append(examples[r.ID], fmt.Sprintf("%s %q", strings.Join(terms, ","), clip(text, 80)))
				}
			}
		}
		per10k := 1e4 * float64(flagged) / float64(len(c.texts))
		t.Logf("%s as %s: %d texts, %d not allow (%.1f per 10,000)", c.name, c.jurisdiction, len(c.texts), flagged, per10k)
		ids := make([]string, 0, len(byRule))
		for id := range byRule {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			t.Logf("    %s: %d (%.1f per 10,000), e.g. %s", id, byRule[id], 1e4*float64(byRule[id])/float64(len(c.texts)),
				strings.Join(examples[id], " | "))
		}
		// Every one of these was read (docs/lexicon.md); the bound catches a regression.
		if per10k > 10 {
			t.Errorf("%s as %s: %.1f false decisions per 10,000 texts, want at most 10", c.name, c.jurisdiction, per10k)
		}
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// An unknown jurisdiction is named in the verdict, counted in the summary, and with
// Strict rejected to the dead-letter output.
func TestUnknownJurisdiction(t *testing.T) {
	cfg := DefaultConfig
	p, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte(`{"id":"x","jurisdiction":"XX","modality":"text","text":"hello"}`)
	j, err := p.NewWorker().Judge(context.Background(), raw)
	if err != nil || j.Reject != nil {
		t.Fatalf("judge: %v %+v", err, j.Reject)
	}
	var s Summary
	s.Add(&j)
	if s.Problems["rules/"+rules.ReasonUnknownJurisdiction] != 1 || !strings.Contains(string(j.VerdictJSON), `"reason":"unknown_jurisdiction"`) {
		t.Errorf("verdict %s, problems %v", j.VerdictJSON, s.Problems)
	}
	cfg.Strict = true
	if p, err = Build(cfg); err != nil {
		t.Fatal(err)
	}
	j, err = p.NewWorker().Judge(context.Background(), raw)
	if err != nil || j.Reject == nil || j.Reject.Reason != rules.ReasonUnknownJurisdiction || j.Reject.Field != "jurisdiction" {
		t.Fatalf("strict: %v %+v, want a reject", err, j.Reject)
	}
	for _, ok := range []string{`"CN"`, `"US-CA"`, `"FR"`, `"GB"`, `null`} {
		raw := []byte(`{"id":"y","jurisdiction":` + ok + `,"modality":"text","text":"hello"}`)
		if strings.Contains(ok, "null") {
			raw = []byte(`{"id":"y","modality":"text","text":"hello"}`)
		}
		if j, err := p.NewWorker().Judge(context.Background(), raw); err != nil || j.Reject != nil {
			t.Errorf("strict rejected %s: %v %+v", ok, err, j.Reject)
		}
	}
}

// The summary lists findings that no fired rule acted on, by category.
func TestSummaryCountsUnactedFindings(t *testing.T) {
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	// Gambling is not an EU-wide rule: the finding falls between the rules there.
	raw := []byte(`{"id":"g","jurisdiction":"DE","role":"platform","declared_ai":false,"modality":"text","text":"online casino bonus for everyone"}`)
	j, err := p.NewWorker().Judge(context.Background(), raw)
	if err != nil || j.Reject != nil {
		t.Fatal(err, j.Reject)
	}
	var s Summary
	s.Add(&j)
	if s.Unacted["gambling"] != 1 {
		t.Fatalf("unacted %v, want gambling 1 (verdict %s)", s.Unacted, j.VerdictJSON)
	}
	var b strings.Builder
	s.WriteTable(&b)
	if !strings.Contains(b.String(), "findings no rule acted on") {
		t.Errorf("summary table lacks the unacted findings:\n%s", b.String())
	}
}

// Signals that the label detector's deep-synthesis and intimate-image checks take as
// their input are acted on when such a check applied and ran, whether it failed (its
// label finding and the rule on it stand for them) or passed (the duty was met); where no
// such check applies they still fall between the rules. (The newcomer walkthrough of
// 2026-12-02 saw `make run` list 29 deepfake and face-swap signals as findings no rule
// acted on, every one of them on a record EU-50-4a, EU-5-NCII, UK-NCII or CN-DS-01
// judged, or a disclosed deepfake.)
func TestSignalsConsumedByLabelChecks(t *testing.T) {
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	deepfake := `"signals":{"deepfake_score":0.97,"face_swap":true,"depicts_real_person":true,"realistic":true}`
	cases := []struct {
		name, raw string
		unacted   []string // signal categories left unacted, sorted
		decision  string
	}{
		{"EU deepfake without disclosure: EU-50-4a fires on label.eu_50_4a",
			`{"id":"a","jurisdiction":"DE","role":"platform","modality":"image","declared_ai":true,` + deepfake + `}`,
			nil, "label"},
		{"EU deepfake disclosed: EU-50-4a passes",
			`{"id":"b","jurisdiction":"DE","role":"platform","modality":"image","declared_ai":true,"labels":{"explicit":{"present":true,"type":"text","text":"AI-generated","position":"corner","size_ratio":0.06}},` + deepfake + `}`,
			nil, ""},
		{"UK intimate deepfake: UK-NCII blocks",
			`{"id":"c","jurisdiction":"GB","role":"platform","modality":"image","declared_ai":true,"signals":{"deepfake_score":0.97,"face_swap":true,"intimate":true,"depicts_real_person":true}}`,
			nil, "block"},
		{"CN face swap of a real person without a label: CN-DS-01 fires on label.cn_ds_01",
			`{"id":"e","jurisdiction":"CN","role":"platform","modality":"video","declared_ai":true,` + deepfake + `}`,
			nil, "review"},
		{"US deepfake: no deep-synthesis check applies, the signals fall between the rules",
			`{"id":"d","jurisdiction":"US","role":"platform","modality":"image","declared_ai":true,` + deepfake + `}`,
			[]string{"signal.deepfake", "signal.face_swap"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, err := p.NewWorker().Judge(context.Background(), []byte(c.raw))
			if err != nil || j.Reject != nil {
				t.Fatal(err, j.Reject)
			}
			var s Summary
			s.Add(&j)
			var got []string
			seen := 0
			for cat, n := range s.Unacted {
				if strings.HasPrefix(cat, "signal.") && n > 0 {
					got = append(got, cat)
				}
			}
			for _, f := range j.Verdict.Findings {
				if strings.HasPrefix(f.Category, "signal.") {
					seen++
				}
			}
			slices.Sort(got)
			if seen < 2 || !slices.Equal(got, c.unacted) {
				t.Errorf("%d signal findings, unacted %v, want %v (verdict %s)", seen, got, c.unacted, j.VerdictJSON)
			}
			if c.decision != "" && j.Verdict.Decision.String() != c.decision {
				t.Errorf("decision %s, want %s (verdict %s)", j.Verdict.Decision, c.decision, j.VerdictJSON)
			}
		})
	}
}

// TestClearHarmIsCaught: clearly harmful posts that the newcomer walkthrough of
// 2026-12-02 found allowed by the embedded configuration (docs/lexicon.md, "What the
// default lexicon does not catch") are no longer allowed; the decision each gets comes
// from the packs (solicitation near the term blocks; a bare term is reviewed).
func TestClearHarmIsCaught(t *testing.T) {
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ jur, text string }{
		{"CN", "出售仿真枪、气枪、子弹，货到付款，联系QQ"},
		{"CN", "澳门葡京线上赌场上线啦，注册就送88元彩金，百家乐、六合彩天天开"},
		{"CN", "我是公安局的，你的银行卡涉嫌洗钱，请立即把钱转到安全账户"},
		{"CN", "代开各类发票，办理假证件，身份证、驾驶证都能做，加微信"},
		{"US", "Selling cocaine and MDMA, discreet shipping worldwide, DM me on Telegram"},
		{"US", "Send 1 BTC to this wallet and get 2 BTC back! Official giveaway, today only"},
		{"UK", "Here is how to kill yourself painlessly: take these pills together"},
		{"DE", "Join the jihad, kill the infidels, attack the concert on Saturday"},
		{"FR", "All immigrants are vermin and should all be exterminated"},
	} {
		raw, _ := json.Marshal(map[string]any{"id": "h", "jurisdiction": c.jur, "role": "platform", "modality": "text", "declared_ai": false, "text": c.text})
		j, err := p.NewWorker().Judge(context.Background(), raw)
		if err != nil || j.Reject != nil {
			t.Fatal(err, j.Reject)
		}
		if j.Verdict.Decision == rules.Allow {
			t.Errorf("%s %q: allowed (%s)", c.jur, c.text, j.VerdictJSON)
		} else {
			t.Logf("%s: %s %v %q", c.jur, j.Verdict.Decision, j.Verdict.RuleIDs(), c.text)
		}
	}
}
