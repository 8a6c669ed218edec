package fingerprint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/mih"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
	"github.com/aigcwatch/aigcwatch/internal/hugepage"
)

// Meaning is what a match against a bank means. Several banks may share a meaning
// (two regulators' deepfake lists, say).
type Meaning uint8

// Bank meanings.
const (
	// KnownDeepfake: known synthetic or manipulated depictions of a real person, taken down
	// before. A match is a finding of category "hash.known_deepfake".
	KnownDeepfake Meaning = iota + 1
	// KnownIllegal: content already judged illegal (CSAM, terrorist content, NCII). A
	// match is a finding of category "hash.known_illegal".
	KnownIllegal
	// ProtectedOriginal: authentic originals registered by their owners (a public
	// figure's photos, a news agency's pictures). A match is not bad in itself: rules
	// combine "hash.protected_original" with AI evidence and missing disclosure.
	ProtectedOriginal
	// Allow: known benign content (famous photos, memes) that matches other banks by
	// accident. A match is reported as "hash.allow" and suppresses the other banks'
	// findings on the same input, as Meta's HMA allow-lists do.
	Allow
	// LabeledAI: content seen before carrying an AIGC label (a CN implicit label), the
	// memory of CN-TAMPER-01's history check. A match is reported as "hash.labeled_ai"
	// only when the record carries no implicit label and no C2PA manifest saying AI: a
	// near-duplicate of labeled AI content arriving without its label. Filled from bank
	// files, the banks topic, or at run time by Detector.AutoBankLabeled.
	LabeledAI
)

var meaningNames = [...]string{"", "known_deepfake", "known_illegal", "protected_original", "allow", "labeled_ai"}

// String returns the lower-case name, used in categories as "hash.<name>".
func (m Meaning) String() string {
	if int(m) < len(meaningNames) && m != 0 {
		return meaningNames[m]
	}
	return fmt.Sprintf("meaning(%d)", uint8(m))
}

// ParseMeaning parses a meaning name.
func ParseMeaning(s string) (Meaning, error) {
	for i, n := range meaningNames {
		if i > 0 && s == n {
			return Meaning(i), nil
		}
	}
	return 0, fmt.Errorf("fingerprint: unknown bank meaning %q (want known_deepfake, known_illegal, protected_original, allow or labeled_ai)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (m Meaning) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Meaning) UnmarshalText(b []byte) error {
	v, err := ParseMeaning(string(b))
	if err == nil {
		*m = v
	}
	return err
}

// Defaults.
const (
	DefaultPDQThreshold     = 31 // Meta's recommended PDQ match distance
	DefaultSimHashThreshold = 3  // of 64 bits; see docs/fingerprints.md for the measurement
	DefaultMinQuality       = 50 // PDQ hashes of lower quality are ignored, as HMA does
	DefaultMinShingles      = 8  // texts with fewer SimHash shingles are not near-matched
	DefaultMaxMatches       = 8  // findings per input and kind, closest first
)

// BankConfig configures one bank. Thresholds are pointers so that 0 (exact only) differs
// from unset (the default).
type BankConfig struct {
	Name             string              `yaml:"name"`
	Meaning          Meaning             `yaml:"meaning"`
	PDQThreshold     *int                `yaml:"pdq_threshold"`     // default DefaultPDQThreshold
	SimHashThreshold *int                `yaml:"simhash_threshold"` // default DefaultSimHashThreshold
	MinHashThreshold *float64            `yaml:"minhash_threshold"` // Jaccard, default DefaultMinHashThreshold
	Severity         *detectors.Severity `yaml:"severity"`          // default by meaning
}

// Config configures bank loading and matching.
type Config struct {
	Banks       []BankConfig `yaml:"banks"`
	MinQuality  int          `yaml:"min_quality"`  // default DefaultMinQuality
	MinShingles int          `yaml:"min_shingles"` // default DefaultMinShingles
	MaxMatches  int          `yaml:"max_matches"`  // default DefaultMaxMatches
	Limits      pdq.Limits   `yaml:"-"`            // image decoding bounds for media.data
}

// DefaultConfig has one bank per meaning, named after it.
func DefaultConfig() Config {
	return Config{Banks: []BankConfig{
		{Name: "known_deepfake", Meaning: KnownDeepfake},
		{Name: "known_illegal", Meaning: KnownIllegal},
		{Name: "protected_original", Meaning: ProtectedOriginal},
		{Name: "allow", Meaning: Allow},
		{Name: "labeled_ai", Meaning: LabeledAI},
	}}
}

func defaultSeverity(m Meaning) detectors.Severity {
	switch m {
	case KnownIllegal:
		return detectors.Critical
	case KnownDeepfake, LabeledAI:
		return detectors.High // LabeledAI is reported only when the label is missing
	default:
		return detectors.Info
	}
}

// bank is a resolved BankConfig.
type bank struct {
	name     string
	meaning  Meaning
	pdqMax   int
	simMax   int
	minEq    int // least equal MinHash values (of MinHashPerms) for a match
	severity detectors.Severity
	category string // "hash.<meaning>"
}

func (c Config) resolve() (Config, []bank, error) {
	if c.MinQuality == 0 {
		c.MinQuality = DefaultMinQuality
	}
	if c.MinShingles == 0 {
		c.MinShingles = DefaultMinShingles
	}
	if c.MaxMatches <= 0 {
		c.MaxMatches = DefaultMaxMatches
	}
	if len(c.Banks) == 0 {
		return c, nil, errors.New("fingerprint: config: no banks")
	}
	if len(c.Banks) > 255 {
		return c, nil, errors.New("fingerprint: config: more than 255 banks")
	}
	var errs []error
	seen := map[string]bool{}
	banks := make([]bank, 0, len(c.Banks))
	for i, bc := range c.Banks {
		b := bank{name: bc.Name, meaning: bc.Meaning, pdqMax: DefaultPDQThreshold, simMax: DefaultSimHashThreshold,
			minEq: minHashEqualMin(DefaultMinHashThreshold)}
		if bc.Name == "" || strings.ContainsAny(bc.Name, "\t\n\r ") {
			errs = append(errs, fmt.Errorf("fingerprint: config: banks[%d]: bad name %q", i, bc.Name))
		}
		if seen[bc.Name] {
			errs = append(errs, fmt.Errorf("fingerprint: config: banks[%d]: duplicate name %q", i, bc.Name))
		}
		seen[bc.Name] = true
		if bc.Meaning < KnownDeepfake || bc.Meaning > LabeledAI {
			errs = append(errs, fmt.Errorf("fingerprint: config: bank %q: missing or unknown meaning", bc.Name))
		}
		if bc.PDQThreshold != nil {
			b.pdqMax = *bc.PDQThreshold
			if b.pdqMax < 0 || b.pdqMax > 64 {
				errs = append(errs, fmt.Errorf("fingerprint: config: bank %q: pdq_threshold %d out of 0..64", bc.Name, b.pdqMax))
			}
		}
		if bc.SimHashThreshold != nil {
			b.simMax = *bc.SimHashThreshold
			if b.simMax < 0 || b.simMax > 16 {
				errs = append(errs, fmt.Errorf("fingerprint: config: bank %q: simhash_threshold %d out of 0..16", bc.Name, b.simMax))
			}
		}
		if bc.MinHashThreshold != nil {
			j := *bc.MinHashThreshold
			if !(j > 0 && j <= 1) {
				errs = append(errs, fmt.Errorf("fingerprint: config: bank %q: %w: %v", bc.Name, errMinHashThreshold, j))
			} else {
				b.minEq = minHashEqualMin(j)
			}
		}
		b.severity = defaultSeverity(bc.Meaning)
		if bc.Severity != nil {
			b.severity = *bc.Severity
		}
		b.category = "hash." + bc.Meaning.String()
		banks = append(banks, b)
	}
	return c, banks, errors.Join(errs...)
}

// Kind is the kind of fingerprint of a bank entry.
type Kind uint8

// Entry kinds and their prefixes in bank files.
const (
	KindPDQ     Kind = iota + 1 // "pdq:" + 64 hex digits, or 64 bare hex digits
	KindSHA256                  // "sha256:" + 64 hex digits of the media bytes' digest
	KindText                    // "text:" + 16 hex digits of TextKey (xxhash64 of normalised text)
	KindSimHash                 // "simhash:" + 16 hex digits of SimHash
	KindMinHash                 // "minhash:" + 512 hex digits of a MinHashSig
)

// Entry is one bank entry.
type Entry struct {
	Kind     Kind
	PDQ      pdq.Hash    // KindPDQ
	Key      uint64      // KindSHA256 (MediaKey), KindText (TextKey), KindSimHash
	MinHash  *MinHashSig // KindMinHash
	Bank     string
	Label    string // the entry's name in findings (Evidence.Entry); required
	Category string // the bank owner's category, e.g. "ncii"; free text, may be empty
	Source   string // who contributed it; may be empty
}

// ParseError is one malformed bank line. Its message is "file:line: what is wrong".
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// maxParseErrors bounds the errors kept per load.
const maxParseErrors = 50

// store holds entry metadata compactly: one uint16 group (bank, category, source) and
// the end offset of the label in a shared arena, 6 bytes per entry plus the label.
type store struct {
	group    []uint16
	labelEnd []uint32
	labels   []byte
}

type group struct {
	bank             uint8
	category, source string
}

func (s *store) label(i int) string {
	lo, hi := s.labelSpan(i)
	return s.labelAt(lo, hi-lo)
}

// labelSpan returns the start and end of entry i's label in the arena.
func (s *store) labelSpan(i int) (lo, hi uint32) {
	if i > 0 {
		lo = s.labelEnd[i-1]
	}
	return lo, s.labelEnd[i]
}

// labelAt returns the label of n bytes at lo in the arena without copying it (the arena
// is never written after Build). It does not read the label's bytes.
func (s *store) labelAt(lo, n uint32) string {
	b := s.labels[lo : lo+n]
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Builder accumulates entries and builds a Set. It is not safe for concurrent use.
type Builder struct {
	cfg     Config
	banks   []bank
	byName  map[string]uint8
	groups  []group
	gIndex  map[string]uint16 // group key (see add) -> index in groups
	gKeyBuf []byte

	pdqHashes []pdq.Hash
	pdqMeta   store
	text      map[uint64]uint32 // key -> index+1 in textMeta; chains in textNext
	textNext  []uint32
	textMeta  store
	media     map[uint64]uint32
	mediaNext []uint32
	mediaMeta store
	simKeys   []uint64
	simMeta   store
	minSigs   []MinHashSig
	minMeta   store

	errs []error
}

// NewBuilder validates cfg and returns an empty Builder.
func NewBuilder(cfg Config) (*Builder, error) {
	cfg, banks, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	b := &Builder{cfg: cfg, banks: banks, byName: map[string]uint8{}, gIndex: map[string]uint16{},
		text: map[uint64]uint32{}, media: map[uint64]uint32{}}
	for i, bk := range banks {
		b.byName[bk.name] = uint8(i)
	}
	return b, nil
}

// Add adds one entry. It returns an error if the bank is unknown, the label is empty or
// the kind is invalid.
func (b *Builder) Add(e Entry) error {
	bi, ok := b.byName[e.Bank]
	if !ok {
		return fmt.Errorf("unknown bank %q", e.Bank)
	}
	if e.Kind == KindMinHash && e.MinHash == nil {
		return errors.New("minhash entry without a signature")
	}
	return add(b, e.Kind, e.PDQ, e.Key, e.MinHash, bi, e.Label, e.Category, e.Source)
}

// add adds one entry of bank bi. It is generic so that ReadFrom can pass the fields of a
// line as byte slices without converting each to a string (five allocations a line).
func add[T string | []byte](b *Builder, kind Kind, h pdq.Hash, key uint64, sig *MinHashSig, bi uint8, label, category, source T) error {
	if len(label) == 0 {
		return errors.New("empty label")
	}
	// The group key: bank, length of category, category, source (unambiguous). A map
	// lookup with string(bytes) as the key does not allocate.
	k := append(b.gKeyBuf[:0], bi)
	k = binary.AppendUvarint(k, uint64(len(category)))
	k = append(append(k, category...), source...)
	b.gKeyBuf = k
	gi, ok := b.gIndex[string(k)]
	if !ok {
		if len(b.groups) >= 1<<16 {
			return errors.New("more than 65536 distinct (bank, category, source) combinations")
		}
		gi = uint16(len(b.groups))
		b.groups = append(b.groups, group{bank: bi, category: string(category), source: string(source)})
		b.gIndex[string(k)] = gi
	}
	var st *store
	switch kind {
	case KindPDQ:
		b.pdqHashes = append(b.pdqHashes, h)
		st = &b.pdqMeta
	case KindText:
		b.textNext = append(b.textNext, b.text[key])
		b.text[key] = uint32(len(b.textNext))
		st = &b.textMeta
	case KindSHA256:
		b.mediaNext = append(b.mediaNext, b.media[key])
		b.media[key] = uint32(len(b.mediaNext))
		st = &b.mediaMeta
	case KindSimHash:
		b.simKeys = append(b.simKeys, key)
		st = &b.simMeta
	case KindMinHash:
		b.minSigs = append(b.minSigs, *sig)
		st = &b.minMeta
	default:
		return fmt.Errorf("unknown entry kind %d", kind)
	}
	st.group = append(st.group, gi)
	st.labels = append(st.labels, label...)
	st.labelEnd = append(st.labelEnd, uint32(len(st.labels)))
	if len(st.labels) > 1<<32-1 { // label ends and key table slots hold 32-bit offsets
		return errors.New("label arena over 4 GiB")
	}
	return nil
}

// ParseHash parses the hash column of a bank line.
func ParseHash(s string) (Kind, pdq.Hash, uint64, error) {
	kind, v, ok := strings.Cut(s, ":")
	if !ok {
		kind, v = "pdq", s
	}
	switch kind {
	case "pdq":
		h, err := pdq.ParseHex(v)
		if err != nil {
			return 0, pdq.Hash{}, 0, err
		}
		return KindPDQ, h, 0, nil
	case "sha256":
		k, err := MediaKey(v)
		if err != nil {
			return 0, pdq.Hash{}, 0, fmt.Errorf("sha256: want 64 hex digits, got %q", truncate(v))
		}
		return KindSHA256, pdq.Hash{}, k, nil
	case "text", "simhash":
		if len(v) != 16 {
			return 0, pdq.Hash{}, 0, fmt.Errorf("%s: want 16 hex digits, got %q", kind, truncate(v))
		}
		k, err := strconv.ParseUint(v, 16, 64)
		if err != nil {
			return 0, pdq.Hash{}, 0, fmt.Errorf("%s: want 16 hex digits, got %q", kind, truncate(v))
		}
		if kind == "text" {
			return KindText, pdq.Hash{}, k, nil
		}
		return KindSimHash, pdq.Hash{}, k, nil
	case "minhash":
		if _, err := ParseMinHash(v); err != nil {
			return 0, pdq.Hash{}, 0, err
		}
		return KindMinHash, pdq.Hash{}, 0, nil // the signature: ParseMinHash
	}
	return 0, pdq.Hash{}, 0, fmt.Errorf("unknown hash kind %q (want pdq:, sha256:, text:, simhash: or minhash:)", truncate(kind))
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// ReadFrom parses a bank file (format in docs/fingerprints.md): UTF-8 lines of five
// tab-separated fields "hash bank label category source"; blank lines and lines
// starting with '#' are skipped. Malformed lines are recorded as *ParseError
// ("file:line: what is wrong") and returned by Build; good lines are still added so that
// all problems are reported at once. It returns only read errors.
func (b *Builder) ReadFrom(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		text = bytes.TrimSuffix(text, []byte("\r"))
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		if err := b.addLine(text); err != nil {
			b.fail(&ParseError{File: name, Line: line, Msg: err.Error()})
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("fingerprint: %s:%d: %w", name, line+1, err)
	}
	return nil
}

func (b *Builder) fail(err error) {
	if len(b.errs) < maxParseErrors {
		b.errs = append(b.errs, err)
	} else if len(b.errs) == maxParseErrors {
		b.errs = append(b.errs, errors.New("fingerprint: too many errors, stopped reporting"))
	}
}

// splitLine splits a bank line into its five fields and checks that they are UTF-8.
func splitLine(line []byte) ([5][]byte, error) {
	var f [5][]byte
	n := 0
	for n < 5 {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			f[n] = line
			n++
			line = nil
			break
		}
		f[n] = line[:i]
		line = line[i+1:]
		n++
	}
	if n != 5 || line != nil {
		cnt := n
		if line != nil {
			cnt = 5 + bytes.Count(line, []byte("\t")) + 1
		}
		return f, fmt.Errorf("want 5 tab-separated fields (hash, bank, label, category, source), got %d", cnt)
	}
	for i := range f {
		if !utf8.Valid(f[i]) {
			return f, fmt.Errorf("field %d is not valid UTF-8", i+1)
		}
	}
	return f, nil
}

// ParseEntry parses one bank line (format of ReadFrom, without the trailing newline)
// into an Entry that does not alias line. It checks everything but the bank name, which
// only a Set knows (Matcher.Add and Builder.Add check it). Errors say what is wrong, as
// ParseError messages do, without the file and line.
func ParseEntry(line []byte) (Entry, error) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	f, err := splitLine(line)
	if err != nil {
		return Entry{}, err
	}
	kind, h, key, err := ParseHash(string(f[0]))
	if err != nil {
		return Entry{}, err
	}
	var sig *MinHashSig
	if kind == KindMinHash {
		sig, _ = ParseMinHash(string(f[0][len("minhash:"):]))
	}
	if len(f[2]) == 0 {
		return Entry{}, errors.New("empty label")
	}
	return Entry{Kind: kind, PDQ: h, Key: key, MinHash: sig, Bank: string(f[1]), Label: string(f[2]),
		Category: string(f[3]), Source: string(f[4])}, nil
}

func (b *Builder) addLine(line []byte) error {
	f, err := splitLine(line)
	if err != nil {
		return err
	}
	var (
		kind Kind
		h    pdq.Hash
		key  uint64
		ok   bool
	)
	if h, ok = parsePDQField(f[0]); ok {
		kind = KindPDQ
	} else {
		var err error
		// The string does not outlive the call: errors copy what they quote.
		if kind, h, key, err = ParseHash(unsafe.String(unsafe.SliceData(f[0]), len(f[0]))); err != nil {
			return err
		}
	}
	var sig *MinHashSig
	if kind == KindMinHash {
		sig, _ = ParseMinHash(string(f[0][len("minhash:"):])) // ParseHash checked it
	}
	bi, ok := b.byName[string(f[1])]
	if !ok {
		return fmt.Errorf("unknown bank %q", f[1])
	}
	return add(b, kind, h, key, sig, bi, f[2], f[3], f[4])
}

// hexVal maps an ASCII hex digit to its value and every other byte to 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i], t['A'+i] = 10+i, 10+i
	}
	return t
}()

// parsePDQField is the fast path of ParseHash for the common PDQ field ("pdq:" + 64 hex
// digits, or 64 bare hex digits), with the same result as pdq.ParseHex. It reports false
// for anything else, which ParseHash then parses or explains.
func parsePDQField(f []byte) (pdq.Hash, bool) {
	if len(f) == 4+pdq.HexLen && string(f[:4]) == "pdq:" {
		f = f[4:]
	}
	if len(f) != pdq.HexLen {
		return pdq.Hash{}, false
	}
	var h pdq.Hash
	bad := byte(0)
	for w := 0; w < 4; w++ {
		part := f[(3-w)*16 : (4-w)*16]
		var v uint64
		for _, c := range part {
			d := hexVal[c]
			bad |= d
			v = v<<4 | uint64(d&0xf)
		}
		h[w] = v
	}
	return h, bad&0xf0 == 0
}

// Build returns the Set, or every recorded parse error joined (and no Set).
func (b *Builder) Build() (*Set, error) {
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	// Drop append's spare capacity (at 10M entries it is ~100 MB) and move the arrays
	// that lookups read at random to memory advised for huge pages.
	hashes := mih.MakeHashes(len(b.pdqHashes))
	copy(hashes, b.pdqHashes)
	b.pdqHashes = hashes
	for _, st := range []*store{&b.pdqMeta, &b.textMeta, &b.mediaMeta, &b.simMeta, &b.minMeta} {
		st.group, st.labelEnd, st.labels = cloneHuge(st.group), cloneHuge(st.labelEnd), cloneHuge(st.labels)
	}
	s := &Set{
		cfg: b.cfg, banks: b.banks, groups: b.groups,
		pdqHashes: b.pdqHashes, pdqMeta: b.pdqMeta,
		text: newKeyTable(b.text, b.textNext, &b.textMeta), textNext: b.textNext, textMeta: b.textMeta,
		media: newKeyTable(b.media, b.mediaNext, &b.mediaMeta), mediaNext: b.mediaNext, mediaMeta: b.mediaMeta,
		simMeta: b.simMeta, minMeta: b.minMeta, minEqMin: MinHashPerms,
	}
	s.groupMatch = make([]Match, len(b.groups))
	for i, g := range b.groups {
		bk := &b.banks[g.bank]
		s.groupMatch[i] = Match{Bank: bk.name, Meaning: bk.meaning, Severity: bk.severity, Category: bk.category,
			EntryCat: g.category, Source: g.source}
	}
	for _, bk := range b.banks {
		s.pdqMax = max(s.pdqMax, bk.pdqMax)
		s.simMax = max(s.simMax, bk.simMax)
		s.minEqMin = min(s.minEqMin, bk.minEq)
	}
	if len(b.pdqHashes) >= bruteForceBelow {
		s.pdqIndex = mih.New(b.pdqHashes)
	}
	s.sim = newSimIndex(b.simKeys)
	s.minIndex = newLSHIndex(slices.Clip(b.minSigs))
	*b = Builder{} // the Set owns the slices now
	return s, nil
}

func cloneHuge[T any](s []T) []T {
	c := hugepage.Make[T](len(s))
	copy(c, s)
	return c
}

// bruteForceBelow: smaller PDQ banks are scanned; the index's 4 MB of bucket offsets
// do not pay off.
const bruteForceBelow = 4096

// Set is an immutable, loaded set of banks. It is safe for concurrent use.
type Set struct {
	cfg    Config
	banks  []bank
	groups []group
	// groupMatch[g] is a Match with the fields of group g filled in (Label and Distance
	// empty): a match is a copy of it plus two fields, without reading the group and then
	// its bank.
	groupMatch []Match
	pdqMax     int
	simMax     int

	pdqHashes []pdq.Hash
	pdqIndex  *mih.Index // nil below bruteForceBelow
	pdqMeta   store
	text      keyTable
	textNext  []uint32
	textMeta  store
	media     keyTable
	mediaNext []uint32
	mediaMeta store
	sim       *simIndex
	simMeta   store
	minIndex  *lshIndex // nil when there are no MinHash entries
	minMeta   store
	minEqMin  int // the least bank minEq

	extra *Set  // live additions (Matcher.Add) folded into an index, searched after this Set; nil when none
	tail  *tail // the newest live additions, scanned after extra; nil when none
}

// Stats counts entries by kind.
type Stats struct{ PDQ, SHA256, Text, SimHash, MinHash int }

// Stats returns the number of entries of each kind.
func (s *Set) Stats() Stats {
	st := Stats{PDQ: len(s.pdqHashes), SHA256: len(s.mediaNext), Text: len(s.textNext), SimHash: len(s.sim.keys)}
	if s.minIndex != nil {
		st.MinHash = len(s.minIndex.sigs)
	}
	return st
}

// Match is one bank entry matched by an input.
type Match struct {
	Bank     string
	Meaning  Meaning
	Severity detectors.Severity
	Category string // "hash.<meaning>"
	Label    string
	EntryCat string // the entry's own category column
	Source   string
	Distance int // 0 for exact matches
}

func (s *Set) match(st *store, i, dist int) Match {
	return s.matchOf(st.group[i], st.label(i), dist)
}

func (s *Set) matchOf(gi uint16, label string, dist int) Match {
	m := s.groupMatch[gi]
	m.Label, m.Distance = label, dist
	return m
}

// MatchPDQ calls fn for each PDQ entry within its bank's threshold of h, until fn
// returns false.
func (s *Set) MatchPDQ(h pdq.Hash, fn func(Match) bool) {
	visit := func(id, d int) bool {
		g := s.groups[s.pdqMeta.group[id]]
		if d > s.banks[g.bank].pdqMax {
			return true
		}
		return fn(s.match(&s.pdqMeta, id, d))
	}
	stopped := false
	if s.pdqIndex != nil {
		s.pdqIndex.Search(h, s.pdqMax, func(id, d int) bool {
			stopped = !visit(id, d)
			return !stopped
		})
	} else {
		for id := range s.pdqHashes {
			if d := h.Distance(s.pdqHashes[id]); d <= s.pdqMax && !visit(id, d) {
				return
			}
		}
	}
	if s.extra != nil && !stopped {
		s.extra.MatchPDQ(h, func(m Match) bool {
			stopped = !fn(m)
			return !stopped
		})
	}
	if s.tail != nil && !stopped {
		s.tail.matchPDQ(s, h, fn)
	}
}

// MatchTextKey calls fn for each exact text entry with key k (see TextKey).
func (s *Set) MatchTextKey(k uint64, fn func(Match) bool) {
	if e := s.text.find(k); e != nil {
		if e.form != keyChain { // one entry, built from the slot alone (see keyTable)
			if !fn(s.matchOf(e.group, s.textMeta.labelAt(e.ref, uint32(e.form)), 0)) {
				return
			}
		} else if !s.matchChain(e.ref, &s.textMeta, s.textNext, fn) {
			return
		}
	}
	if s.extra != nil && !s.extra.matchKey(s.extra.MatchTextKey, k, fn) {
		return
	}
	if s.tail != nil {
		s.tail.matchKey(s, s.tail.text, k, fn)
	}
}

// MatchMediaKey calls fn for each sha256 entry with key k (see MediaKey).
func (s *Set) MatchMediaKey(k uint64, fn func(Match) bool) {
	if e := s.media.find(k); e != nil {
		if e.form != keyChain { // one entry, built from the slot alone (see keyTable)
			if !fn(s.matchOf(e.group, s.mediaMeta.labelAt(e.ref, uint32(e.form)), 0)) {
				return
			}
		} else if !s.matchChain(e.ref, &s.mediaMeta, s.mediaNext, fn) {
			return
		}
	}
	if s.extra != nil && !s.extra.matchKey(s.extra.MatchMediaKey, k, fn) {
		return
	}
	if s.tail != nil {
		s.tail.matchKey(s, s.tail.media, k, fn)
	}
}

// matchChain calls fn for the chain of entries from index+1 i (see keySlot.ref) and
// reports whether fn wants more.
func (s *Set) matchChain(i uint32, st *store, next []uint32, fn func(Match) bool) bool {
	for ; i != 0; i = next[i-1] {
		if !fn(s.match(st, int(i-1), 0)) {
			return false
		}
	}
	return true
}

// matchKey runs lookup (a method of s) and reports whether fn wants more.
func (s *Set) matchKey(lookup func(uint64, func(Match) bool), k uint64, fn func(Match) bool) bool {
	more := true
	lookup(k, func(m Match) bool {
		more = fn(m)
		return more
	})
	return more
}

// MatchSimHash calls fn for each SimHash entry within its bank's threshold of h.
func (s *Set) MatchSimHash(h uint64, fn func(Match) bool) {
	stop := false
	s.sim.search(h, s.simMax, func(id, d int) {
		if stop {
			return
		}
		g := s.groups[s.simMeta.group[id]]
		if d <= s.banks[g.bank].simMax && !fn(s.match(&s.simMeta, id, d)) {
			stop = true
		}
	})
	if s.extra != nil && !stop {
		s.extra.MatchSimHash(h, func(m Match) bool {
			stop = !fn(m)
			return !stop
		})
	}
	if s.tail != nil && !stop {
		s.tail.matchSim(s, h, fn)
	}
}

// LoadFiles reads and parses bank files into a new Set. Any malformed line fails the
// whole load, with every problem reported as "file:line: what is wrong".
func LoadFiles(cfg Config, paths ...string) (*Set, error) {
	b, err := NewBuilder(cfg)
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("fingerprint: %w", err)
		}
		err = b.ReadFrom(p, bufio.NewReaderSize(f, 1<<20))
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return b.Build()
}

// Matcher holds the current Set and swaps it atomically on reload; lookups never see a
// half-loaded Set, and a failed reload keeps the previous one. Safe for concurrent use.
type Matcher struct {
	cur atomic.Pointer[Set]

	mu       sync.Mutex // serialises reloads and additions
	checksum [32]byte
	added    []Entry // live additions, re-applied after each reload
	tail     tail    // the live additions not yet folded into the current Set's overlay
}

// MaxLiveAdditions bounds the entries Matcher.Add keeps in memory; fold them into bank
// files. When it is reached Add returns ErrTooManyAdditions and adds nothing more; the
// additions held go on matching (across reloads) until the process restarts.
const MaxLiveAdditions = 100_000

// ErrTooManyAdditions is returned by Matcher.Add when MaxLiveAdditions would be
// exceeded; the caller should count it, write the additions to a bank file and reload.
var ErrTooManyAdditions = errors.New("fingerprint: too many live additions; add them to a bank file and reload")

// withAdditions returns a shallow copy of base (without its overlay) whose overlay holds
// entries.
func withAdditions(base *Set, entries []Entry) (*Set, error) {
	next := *base
	next.extra, next.tail = nil, nil
	if len(entries) == 0 {
		return &next, nil
	}
	b, err := NewBuilder(base.cfg)
	if err != nil {
		return nil, err
	}
	for i, e := range entries {
		if err := b.Add(e); err != nil {
			return nil, fmt.Errorf("fingerprint: live addition %d (%q): %w", i, e.Label, err)
		}
	}
	extra, err := b.Build()
	if err != nil {
		return nil, err
	}
	next.extra = extra
	return &next, nil
}

// NewMatcher returns a Matcher serving s (which may be nil: nothing matches).
func NewMatcher(s *Set) *Matcher {
	m := &Matcher{}
	m.cur.Store(s)
	return m
}

// Set returns the current Set (nil if none was loaded).
func (m *Matcher) Set() *Set { return m.cur.Load() }

// Swap installs s.
func (m *Matcher) Swap(s *Set) { m.cur.Store(s) }

// Reload reads the bank files; if their contents and the config are unchanged since the
// last successful reload it does nothing and returns false. Otherwise it parses and
// builds a new Set and swaps it in, returning true. On any error the current Set is kept.
func (m *Matcher) Reload(cfg Config, paths ...string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rc, banks, err := cfg.resolve()
	if err != nil {
		return false, err
	}
	sum := sha256.New()
	fmt.Fprintf(sum, "%v %d %d %d %v\n", banks, rc.MinQuality, rc.MinShingles, rc.MaxMatches, rc.Limits)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return false, fmt.Errorf("fingerprint: %w", err)
		}
		fmt.Fprintf(sum, "%s\n", p)
		_, err = io.Copy(sum, f)
		f.Close()
		if err != nil {
			return false, fmt.Errorf("fingerprint: %s: %w", p, err)
		}
	}
	var c [32]byte
	sum.Sum(c[:0])
	if c == m.checksum && m.cur.Load() != nil {
		return false, nil
	}
	s, err := LoadFiles(cfg, paths...)
	if err != nil {
		return false, err
	}
	if len(m.added) > 0 {
		if s, err = withAdditions(s, m.added); err != nil {
			return false, err
		}
	}
	m.tail = tail{}
	m.cur.Store(s)
	m.checksum = c
	return true, nil
}
