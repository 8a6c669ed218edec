package lexicon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

// sharedData returns the path of ../shared/data (found by walking up from the
// package directory), or skips the test when it is absent.
func sharedData(tb testing.TB) string {
	tb.Helper()
	return shareddata.Path(tb, ".")
}

// jiebaTerms returns the first n terms (first column) of the jieba dictionary;
// n <= 0 means all.
func jiebaTerms(tb testing.TB, n int) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(sharedData(tb), "lexicons", "jieba", "jieba.dict.utf8"))
	if err != nil {
		tb.Skip("jieba dictionary absent: ", err)
	}
	defer f.Close()
	var terms []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && (n <= 0 || len(terms) < n) {
		if w, _, _ := strings.Cut(sc.Text(), " "); w != "" {
			terms = append(terms, w)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return terms
}

func ldnoobw(tb testing.TB, lang string) []string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(sharedData(tb), "lexicons", "ldnoobw", lang+".json"))
	if err != nil {
		tb.Skip("LDNOOBW absent: ", err)
	}
	var terms []string
	if err := json.Unmarshal(data, &terms); err != nil {
		tb.Fatal(err)
	}
	return terms
}

// hc3Texts returns the texts of both HC3 Plus Chinese files.
func hc3Texts(tb testing.TB) []string {
	tb.Helper()
	var texts []string
	for _, name := range []string{"hc3plus_zh_val_qa.jsonl", "hc3plus_zh_val_si.jsonl"} {
		data, err := os.ReadFile(filepath.Join(sharedData(tb), "corpus", name))
		if err != nil {
			tb.Skip("HC3 corpus absent: ", err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var rec struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal(line, &rec); err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			texts = append(texts, rec.Text)
		}
	}
	return texts
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// englishText is English prose shipped with every Go toolchain: the language
// specification and memory model, tags stripped.
func englishText(tb testing.TB) string {
	tb.Helper()
	var sb strings.Builder
	for _, name := range []string{"go_spec.html", "go_mem.html", "asm.html"} {
		data, err := os.ReadFile(filepath.Join(goroot(tb), "doc", name))
		if err != nil {
			tb.Skip("Go docs absent: ", err)
		}
		sb.Write(tagRE.ReplaceAll(data, []byte(" ")))
		sb.WriteByte('\n')
	}
	return sb.String()
}

var corpusOnce struct {
	sync.Once
	zh, en string
	sparse []string
}

// benchCorpora loads the benchmark texts and the sparse lexicon once: 100k jieba
// terms minus every term that occurs in the HC3 texts (found with this package's
// matcher, which the fuzz and random tests check against a brute-force reference).
func benchCorpora(tb testing.TB) (zh, en string, sparse []string) {
	tb.Helper()
	sharedData(tb)
	corpusOnce.Do(func() {
		corpusOnce.zh = strings.Join(hc3Texts(tb), "\n")
		corpusOnce.en = englishText(tb)
		terms := jiebaTerms(tb, 100_000)
		m, err := NewMatcher(terms)
		if err != nil {
			tb.Fatal(err)
		}
		occurs := make([]bool, len(terms))
		for _, mt := range m.FindAll(corpusOnce.zh, Overlapping, nil) {
			occurs[mt.ID] = true
		}
		for i, term := range terms {
			if !occurs[i] {
				corpusOnce.sparse = append(corpusOnce.sparse, term)
			}
		}
	})
	return corpusOnce.zh, corpusOnce.en, corpusOnce.sparse
}

// goroot asks the go command for GOROOT (runtime.GOROOT is deprecated: it names the
// root the test binary was built with, which need not exist here).
func goroot(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		tb.Skip("go env GOROOT: ", err)
	}
	return strings.TrimSpace(string(out))
}
