// Package corpus reads the real text corpora of ../shared/data/corpus (HC3 Plus answers
// written by ChatGPT and by people, food-delivery reviews written by people) for
// false-positive measurements of the detectors. Tests skip where the data is absent.
package corpus

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

// Text is one text of a corpus.
type Text struct {
	Line int    // 1-based line (JSONL) or record (CSV) number
	AI   bool   // written by a model (HC3 label 1); false: written by a person
	Text string //
}

// Set is a named group of texts the measurements report on.
type Set struct {
	Name  string // e.g. "HC3 Plus QA, AI"
	File  string // file under corpus/
	Texts []Text
}

// Sets returns the corpus split into the sets reported in docs/layers.md: HC3 Plus QA and
// SI answers by ChatGPT and by people, and the waimai reviews (people). It skips tb when
// the data is absent.
func Sets(tb testing.TB) []Set {
	tb.Helper()
	var out []Set
	for _, f := range []struct{ file, name string }{{"hc3plus_zh_val_qa.jsonl", "HC3 Plus QA"}, {"hc3plus_zh_val_si.jsonl", "HC3 Plus SI"}} {
		texts := readJSONL(tb, shareddata.Path(tb, "corpus/"+f.file))
		var ai, human []Text
		for _, t := range texts {
			if t.AI {
				ai = append(ai, t)
			} else {
				human = append(human, t)
			}
		}
		out = append(out, Set{f.name + ", AI", f.file, ai}, Set{f.name + ", human", f.file, human})
	}
	out = append(out, Set{"waimai reviews, human", "waimai_10k.csv", readWaimai(tb, shareddata.Path(tb, "corpus/waimai_10k.csv"))})
	return out
}

func readJSONL(tb testing.TB, path string) []Text {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []Text
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		var v struct {
			Text  string          `json:"text"`
			Label json.RawMessage `json:"label"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("%s:%d: %v", path, n, err)
		}
		l, _ := strconv.Unquote(string(v.Label))
		if l == "" {
			l = string(v.Label)
		}
		out = append(out, Text{Line: n, AI: l == "1", Text: v.Text})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func readWaimai(tb testing.TB, path string) []Text {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	var out []Text
	for n := 0; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		if n == 0 || len(rec) < 2 {
			continue // header
		}
		out = append(out, Text{Line: n + 1, Text: rec[1]})
	}
	return out
}

// Records500 returns up to n texts of the HC3 Plus corpora (AI and human) cut to about
// 500 bytes at a rune boundary, for per-record detector benchmarks; it skips tb when the
// data is absent.
func Records500(tb testing.TB, n int) []string {
	tb.Helper()
	var out []string
	for _, s := range Sets(tb) {
		if s.File == "waimai_10k.csv" {
			continue
		}
		for _, t := range s.Texts {
			if len(t.Text) < 500 {
				continue
			}
			cut := 500
			for cut > 0 && t.Text[cut]&0xC0 == 0x80 {
				cut--
			}
			out = append(out, t.Text[:cut])
			if len(out) == n {
				return out
			}
		}
	}
	return out
}
