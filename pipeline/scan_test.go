package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// fakeLexicon is an in-process stand-in for unit tests: it reports "fraud" when the
// text contains "SCAM", with a solicitation cue on the same span (a fraud script with
// a contact, which CN-CONTENT-05 reports). The real detectors are tested in their
// packages and through the embedded-defaults tests below.
var fakeLexicon = detectors.Func{N: "lexicon", F: func(_ context.Context, r *record.Record, res *detectors.Result) error {
	if i := strings.Index(r.Text, "SCAM"); i >= 0 {
		res.Findings = append(res.Findings, detectors.Finding{Detector: "lexicon", Category: "fraud", Severity: detectors.High,
			Evidence: detectors.Evidence{Term: "SCAM", Start: i, End: i + 4}},
			detectors.Finding{Detector: "lexicon", Category: "solicitation", Severity: detectors.Info,
				Evidence: detectors.Evidence{Term: "SCAM", Start: i, End: i + 4}})
	}
	return nil
}}

func testProcessor(t testing.TB) *Processor {
	t.Helper()
	cfg := DefaultConfig
	e, _, err := cfg.LoadEngine()
	if err != nil {
		t.Fatal(err)
	}
	p := NewProcessor(e, fakeLexicon)
	p.Limits = record.Limits{MaxRecordBytes: 2048, MaxTextBytes: 512}
	return p
}

type scanOut struct {
	verdicts, incidents, dlq bytes.Buffer
	sum                      Summary
}

func scan(t *testing.T, p *Processor, input string, workers int) *scanOut {
	t.Helper()
	var o scanOut
	err := p.Scan(context.Background(), strings.NewReader(input), ScanOptions{Source: "in.jsonl", Verdicts: &o.verdicts,
		Incidents: &o.incidents, DLQ: &o.dlq, Workers: workers, MaxLineBytes: 4096}, &o.sum)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return &o
}

func lines(b *bytes.Buffer) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func TestScanKeepsOrderAndDeadLetters(t *testing.T) {
	var in strings.Builder
	want := []string{}
	badLines := map[int64]string{}
	for i := 1; i <= 1000; i++ {
		switch {
		case i%97 == 0:
			in.WriteString(`{"id": broken` + "\n")
			badLines[int64(i)] = record.ReasonInvalidJSON
		case i%89 == 0:
			in.WriteString("{\"id\":\"bad-utf8\",\"text\":\"\xff\xfe\"}\n")
			badLines[int64(i)] = record.ReasonInvalidUTF8
		case i%83 == 0:
			in.WriteString(`{"id":"x","text":` + `"` + strings.Repeat("y", 5000) + `"}` + "\n")
			badLines[int64(i)] = record.ReasonOversize
		case i%79 == 0:
			in.WriteString(`{"id":"x","declared_ai":"yes"}` + "\n")
			badLines[int64(i)] = record.ReasonWrongType
		case i%71 == 0:
			in.WriteString("\n")
		default:
			id := "r" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
			text := "hello"
			if i%10 == 0 {
				text = "a SCAM here"
			}
			in.WriteString(`{"id":"` + id + `","jurisdiction":"CN","modality":"text","provider":"p1","account":"acc-` + itoa(i) + `","text":"` + text + `"}` + "\r\n")
			want = append(want, id)
		}
	}
	for _, workers := range []int{1, 2, 7} {
		o := scan(t, testProcessor(t), in.String(), workers)
		got := lines(&o.verdicts)
		if len(got) != len(want) {
			t.Fatalf("workers=%d: %d verdicts, want %d", workers, len(got), len(want))
		}
		for i, l := range got {
			var v struct {
				ID       string `json:"id"`
				Decision string `json:"decision"`
			}
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatal(err)
			}
			if v.ID != want[i] {
				t.Fatalf("workers=%d: verdict %d is %s, want %s (order lost)", workers, i, v.ID, want[i])
			}
		}
		dl := lines(&o.dlq)
		if len(dl) != len(badLines) {
			t.Fatalf("workers=%d: %d dead letters, want %d", workers, len(dl), len(badLines))
		}
		for _, l := range dl {
			var d DeadLetter
			if err := json.Unmarshal([]byte(l), &d); err != nil {
				t.Fatal(err)
			}
			if d.Source != "in.jsonl" || badLines[d.Line] != d.Reason {
				t.Errorf("dead letter line %d reason %q, want %q", d.Line, d.Reason, badLines[d.Line])
			}
			if d.Original == "" && d.OriginalBase64 == nil {
				t.Errorf("dead letter line %d lost its original", d.Line)
			}
			if d.Reason == record.ReasonInvalidUTF8 && !bytes.Equal(d.OriginalBase64, []byte("{\"id\":\"bad-utf8\",\"text\":\"\xff\xfe\"}")) {
				t.Errorf("invalid UTF-8 original not kept byte for byte: %q", d.OriginalBase64)
			}
		}
		if o.sum.Records != int64(len(want)) || o.sum.Rejected != int64(len(badLines)) || o.sum.Blank == 0 {
			t.Errorf("summary records=%d rejected=%d blank=%d", o.sum.Records, o.sum.Rejected, o.sum.Blank)
		}
		if o.sum.RulesFired["CN-CONTENT-05"] == 0 || o.sum.Decisions[rules.Review] == 0 {
			t.Errorf("fraud rule never fired: %+v", o.sum.RulesFired)
		}
	}
}

func TestScanOversizeLineIsTruncatedNotLost(t *testing.T) {
	p := testProcessor(t)
	long := `{"id":"big","text":"` + strings.Repeat("z", 10000) + `"}`
	var o scanOut
	err := p.Scan(context.Background(), strings.NewReader(long+"\n"+`{"id":"after"}`), ScanOptions{Verdicts: &o.verdicts, DLQ: &o.dlq, MaxLineBytes: 100}, &o.sum)
	if err != nil {
		t.Fatal(err)
	}
	var d DeadLetter
	if err := json.Unmarshal(o.dlq.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if !d.Truncated || d.OriginalBytes != len(long) || d.Original != long[:100] || d.Reason != record.ReasonOversize || d.Line != 1 {
		t.Errorf("dead letter %+v", d)
	}
	if !strings.Contains(o.verdicts.String(), `"id":"after"`) {
		t.Errorf("the scan did not go on after the oversize line")
	}
}

func TestIncidentsAreCloudEventsAndDeterministic(t *testing.T) {
	in := `{"id":"a1","time":"2026-10-01T00:00:00Z","jurisdiction":"CN","provider":"prov-x","account":"user-42","modality":"text","text":"a SCAM"}
{"id":"a2","jurisdiction":"CN","provider":"prov-x","modality":"text","text":"clean"}
`
	p := testProcessor(t)
	first := scan(t, p, in, 2)
	second := scan(t, p, in, 1)
	evs := lines(&first.incidents)
	if len(evs) != 1 {
		t.Fatalf("%d incidents, want 1 (CN-CONTENT-05 reports)", len(evs))
	}
	if first.incidents.String() != second.incidents.String() {
		t.Errorf("the same records gave different incidents:\n%s\n%s", first.incidents.String(), second.incidents.String())
	}
	var e cloudevents.Event
	if err := json.Unmarshal([]byte(evs[0]), &e); err != nil {
		t.Fatalf("not a CloudEvent: %v", err)
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("invalid CloudEvent: %v", err)
	}
	if e.SpecVersion() != "1.0" || e.Subject() != "prov-x" || e.Type() != "org.aigcwatch.incident.v1" || len(e.ID()) != 32 {
		t.Errorf("attributes: %v", e)
	}
	var d struct {
		RecordID         string              `json:"record_id"`
		Rule             struct{ ID string } `json:"rule"`
		Basis            string              `json:"basis"`
		AccountPseudonym string              `json:"account_pseudonym"`
		Evidence         []struct {
			Category string
			Evidence struct {
				Term       string
				Start, End int
			}
		} `json:"evidence"`
	}
	if err := e.DataAs(&d); err != nil {
		t.Fatal(err)
	}
	if d.RecordID != "a1" || d.Rule.ID != "CN-CONTENT-05" || d.Basis == "" || len(d.Evidence) != 2 || d.Evidence[1].Category != "solicitation" || d.Evidence[0].Evidence.Start != 2 || d.Evidence[0].Evidence.Term != "SCAM" {
		t.Errorf("data: %+v", d)
	}
	if strings.Contains(evs[0], "user-42") || !strings.HasPrefix(d.AccountPseudonym, "hmac-sha256:") {
		t.Errorf("account not pseudonymised: %s", evs[0])
	}
	if strings.Contains(evs[0], "a SCAM") {
		t.Errorf("incident carries the content: %s", evs[0])
	}
}

func TestVerdictShape(t *testing.T) {
	o := scan(t, testProcessor(t), `{"id":"v1","jurisdiction":"CN","modality":"text","text":"x SCAM"}`+"\n", 1)
	var v map[string]any
	if err := json.Unmarshal(o.verdicts.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "decision", "tier", "findings", "rules", "ruleset", "latency_us"} {
		if _, ok := v[k]; !ok {
			t.Errorf("verdict lacks %q: %s", k, o.verdicts.String())
		}
	}
	f := v["findings"].([]any)[0].(map[string]any)
	ev := f["evidence"].(map[string]any)
	if f["layer"] != "content" || f["severity"] != "high" || ev["term"] != "SCAM" || ev["start"] != 2.0 || ev["end"] != 6.0 {
		t.Errorf("finding %v", f)
	}
	r := v["rules"].([]any)[0].(map[string]any)
	if r["id"] != "CN-CONTENT-05" || r["decision"] != "review" || r["basis"] == "" || r["authority"] == "" {
		t.Errorf("rule %v", r)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestJudgeRecordMatchesJudge: the entry point for callers that decode themselves (the
// inline API) gives the same verdict as judging the raw bytes.
func TestJudgeRecordMatchesJudge(t *testing.T) {
	p := testProcessor(t)
	raw := []byte(`{"id":"jr","jurisdiction":"CN","modality":"text","text":"a SCAM"}`)
	j1, err := p.NewWorker().Judge(context.Background(), raw)
	if err != nil || j1.Verdict == nil {
		t.Fatal(err)
	}
	var r record.Record
	if err := record.Decode(raw, record.Limits{}, &r); err != nil {
		t.Fatal(err)
	}
	j2, err := p.NewWorker().JudgeRecord(context.Background(), &r)
	if err != nil {
		t.Fatal(err)
	}
	strip := func(b []byte) string { return regexp.MustCompile(`"latency_us":\d+`).ReplaceAllString(string(b), "") }
	if strip(j1.VerdictJSON) != strip(j2.VerdictJSON) || j2.Verdict.Decision != rules.Review {
		t.Errorf("Judge %s\nJudgeRecord %s", j1.VerdictJSON, j2.VerdictJSON)
	}
}

// TestJudgeAtDatesRecordsWithoutTime: a record without a time is judged at the given time
// (a Kafka message timestamp), so date-bound rules decide the same way on every redelivery;
// a record's own time wins.
func TestJudgeAtDatesRecordsWithoutTime(t *testing.T) {
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	w := p.NewWorker()
	noTime := []byte(`{"id":"t","jurisdiction":"CN","role":"provider","modality":"image"}`)
	before, after := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	fired := func(raw []byte, at time.Time) bool {
		j, err := w.JudgeAt(context.Background(), raw, at)
		if err != nil || j.Verdict == nil {
			t.Fatal(err)
		}
		return strings.Contains(string(j.VerdictJSON), `"id":"CN-IMP-01"`)
	}
	if fired(noTime, before) || !fired(noTime, after) {
		t.Error("CN-IMP-01 (from 2025-09-01) did not follow the message time")
	}
	withTime := []byte(`{"id":"t","time":"2025-07-01T00:00:00Z","jurisdiction":"CN","role":"provider","modality":"image"}`)
	if fired(withTime, after) {
		t.Error("the record's own time must win over the message time")
	}
}
