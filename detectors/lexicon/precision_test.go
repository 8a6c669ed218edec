package lexicon

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// Precision on text this project did not write: the LDNOOBW lists of alphabetic
// languages against Debian's word lists (the classic Scunthorpe test: every dictionary
// word that contains a term) and Debian's fortune files (prose). A finding is "inside a
// word" when the token of letters, digits and marks around it (found here without the
// lexicon package's own boundary code) reaches past it on either side. Terms without a
// '*' must never be found inside a word; the same lists loaded with "#!match
// substring" give the before figures.
//
//	go test -run TestPrecisionWordLists -v ./detectors/lexicon/
//
// The word lists and fortunes are Debian packages that scripts/deps.sh installs; a
// missing one is skipped, saying so.

// precisionCorpora names, per LDNOOBW language, the Debian word list and fortune
// directory (relative to /usr/share/games/fortunes; "." is English) to read.
var precisionCorpora = []struct {
	lang, dict, fortunes string
}{
	{"en", "american-english", "."},
	{"de", "ngerman", "de"},
	{"fr", "french", ""},
	{"es", "spanish", "es"},
	{"it", "italian", "it"},
	{"nl", "dutch", ""},
	{"sv", "swedish", ""},
	{"da", "danish", ""},
	{"no", "bokmaal", ""},
	{"pl", "polish", ""},
	{"pt", "portuguese", ""},
	{"ru", "", "ru"},
}

// tokenAround returns the bounds of the run of word characters (letters, numbers,
// marks, and invisible format characters inside it) of a script written with spaces
// that contains text[s:e], widened past s and e.
func tokenAround(text string, s, e int) (int, int) {
	word := func(r rune) bool {
		return (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Cf, r)) &&
			!unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai)
	}
	for s > 0 {
		r, size := lastRune(text[:s])
		if !word(r) {
			break
		}
		s -= size
	}
	for e < len(text) {
		r, size := firstRune(text[e:])
		if !word(r) {
			break
		}
		e += size
	}
	return s, e
}

func lastRune(s string) (rune, int) {
	rs := []rune(s[max(0, len(s)-4):])
	r := rs[len(rs)-1]
	return r, len(string(r))
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// insideWord reports whether the hit h of entry e sits inside a longer word on an
// end where e asks for a boundary (on either end when e is nil).
func insideWord(text string, e *Entry, h Hit) bool {
	if e == nil {
		e = &Entry{}
	}
	s, en := tokenAround(text, h.Start, h.End)
	first, _ := firstRune(text[h.Start:])
	last, _ := lastRune(text[:h.End])
	startIn := s < h.Start && refSpaced(first) && !e.SubstringStart
	endIn := en > h.End && refSpaced(last) && !e.SubstringEnd
	return startIn || endIn
}

type precisionCount struct {
	texts, hits, inside int
	top                 map[string]int // term → findings inside words
}

// countPrecision scans texts with set; a finding inside a word is counted whatever its
// entry's flags when anyEnd is set (for the substring "before" figures).
func countPrecision(set *Set, texts []string, anyEnd bool) precisionCount {
	c := precisionCount{texts: len(texts), top: map[string]int{}}
	var sc Scratch
	for _, t := range texts {
		for _, h := range set.Scan(t, "", &sc) {
			e := &set.entries[h.Entry]
			c.hits++
			term := e.Term
			if anyEnd {
				e = nil
			}
			if insideWord(t, e, h) {
				c.inside++
				c.top[term]++
			}
		}
	}
	return c
}

func (c precisionCount) topTerms(n int) string {
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range c.top {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].v > kvs[j].v || kvs[i].v == kvs[j].v && kvs[i].k < kvs[j].k })
	var parts []string
	for i, x := range kvs {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", x.k, x.v))
	}
	return strings.Join(parts, ", ")
}

func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// fortuneTexts reads every fortune (texts separated by "%" lines) of the files in dir,
// skipping the index files (.dat) and the UTF-8 copies (.u8) of files read already.
func fortuneTexts(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var texts []string
	for _, de := range ents {
		name := de.Name()
		if de.IsDir() || strings.HasSuffix(name, ".dat") || strings.HasSuffix(name, ".u8") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue // a dangling link
		}
		if u8, err := os.ReadFile(filepath.Join(dir, name+".u8")); err == nil {
			data = u8
		}
		if !bytes.ContainsRune(data, '%') {
			continue
		}
		for _, t := range bytes.Split(data, []byte("\n%\n")) {
			if t = bytes.TrimSpace(t); len(t) > 0 {
				texts = append(texts, string(t))
			}
		}
	}
	return texts, nil
}

func TestPrecisionWordLists(t *testing.T) {
	t.Parallel()
	ldnoobw := filepath.Join(sharedData(t), "lexicons", "ldnoobw")
	measured := 0
	for _, pc := range precisionCorpora {
		data, err := os.ReadFile(filepath.Join(ldnoobw, pc.lang+".json"))
		if err != nil {
			t.Logf("%s: LDNOOBW list absent: %v", pc.lang, err)
			continue
		}
		word, err := Parse(pc.lang+".json", data, JSONArray)
		if err != nil {
			t.Fatal(err)
		}
		sub, _ := Parse(pc.lang+".json", data, JSONArray)
		for i := range sub.Entries {
			sub.Entries[i].SubstringStart, sub.Entries[i].SubstringEnd = true, true
		}
		wordSet, err := Compile(word)
		if err != nil {
			t.Fatal(err)
		}
		subSet, err := Compile(sub)
		if err != nil {
			t.Fatal(err)
		}
		for _, corpus := range []struct{ kind, path string }{
			{"dict", pc.dict}, {"fortunes", pc.fortunes},
		} {
			if corpus.path == "" {
				continue
			}
			var texts []string
			var err error
			if corpus.kind == "dict" {
				texts, err = readLines(filepath.Join("/usr/share/dict", corpus.path))
			} else {
				texts, err = fortuneTexts(filepath.Join("/usr/share/games/fortunes", corpus.path))
			}
			if err != nil || len(texts) == 0 {
				t.Logf("%s %s: corpus %s absent (scripts/deps.sh installs it): %v", pc.lang, corpus.kind, corpus.path, err)
				continue
			}
			measured++
			before, after := countPrecision(subSet, texts, true), countPrecision(wordSet, texts, false)
			t.Logf("| %s | %s %s | %d | %d (%d inside words; %s) | %d (%d inside words) |",
				pc.lang, corpus.kind, corpus.path, len(texts), before.hits, before.inside, before.topTerms(5), after.hits, after.inside)
			if after.inside != 0 {
				t.Errorf("%s on %s %s: %d findings inside longer words (%s)", pc.lang, corpus.kind, corpus.path, after.inside, after.topTerms(10))
			}
		}
	}
	if measured == 0 {
		t.Skip("no word list or fortune file found (scripts/deps.sh installs wamerican, fortunes and the others)")
	}
}
