package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// TestVerdictJSONIsRetainable: verdicts are encoded into a shared slab (Worker.slab);
// each Judgement's VerdictJSON must stay intact after later judgements, after appends
// to other verdicts, and across slab changes, and equal a fresh encoding.
func TestVerdictJSONIsRetainable(t *testing.T) {
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	w := p.NewWorker()
	var kept, want [][]byte
	for i := range 400 { // about 100 KB of verdicts: more than one slab
		text := fmt.Sprintf("第%d条：兼职刷单返利，日赚五百。", i)
		if i%3 == 0 {
			text = fmt.Sprintf("plain text number %d", i)
		}
		raw := fmt.Appendf(nil, `{"id":"r-%d","jurisdiction":"CN","modality":"text","role":"provider","text":%q}`, i, text)
		j, err := w.Judge(context.Background(), raw)
		if err != nil || j.Reject != nil {
			t.Fatalf("record %d: %v %v", i, err, j.Reject)
		}
		if cap(j.VerdictJSON) != len(j.VerdictJSON) {
			t.Fatalf("record %d: VerdictJSON has spare capacity %d: an append would write into the next verdict", i, cap(j.VerdictJSON)-len(j.VerdictJSON))
		}
		kept = append(kept, j.VerdictJSON)
		want = append(want, j.Verdict.AppendJSON(nil))
		if i%7 == 0 {
			_ = append(kept[i], "garbage"...) // must reallocate, not overwrite a neighbour
		}
	}
	for i := range kept {
		if !bytes.Equal(kept[i], want[i]) {
			t.Fatalf("verdict %d changed after later judgements:\n got %s\nwant %s", i, kept[i], want[i])
		}
	}
}
