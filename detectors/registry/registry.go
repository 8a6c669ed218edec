// Package registry reads the registries of filed AI services, one file per jurisdiction
// (China's algorithm and generative-AI service filings, 算法备案 and 生成式人工智能服务备案,
// are the first), and checks each record's provider and service against them: the industry
// layer of risk. It also reports cross-border flows (global layer): a provider registered
// in one jurisdiction whose content is judged under another.
//
// A Registry is immutable; the pipeline builds a new one when a file changes (the reload
// that rebuilds rules and detectors) and keeps the old one when a file is bad. What it
// leaves out: fetching registries from the regulators (they publish lists, not APIs:
// convert them to this format), and fuzzy matching of provider names (names must be the
// ones records carry).
package registry

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Status is a filing's status.
type Status string

// Statuses a registry line may carry.
const (
	StatusFiled     Status = "filed"     // in force
	StatusRevoked   Status = "revoked"   // cancelled by the regulator (注销, 撤销)
	StatusSuspended Status = "suspended" // suspended; treated as revoked while it lasts
	StatusExpired   Status = "expired"   // lapsed
)

// Filing is one line of a registry file.
type Filing struct {
	Jurisdiction string // from the file's #!jurisdiction directive, e.g. CN
	Provider     string
	Service      string // "*": every service of the provider
	Number       string // the filing number, e.g. 网信算备110108xxxxxxxx0001号 or Beijing-XXX-202401010001
	Status       Status
	FiledOn      time.Time
	ValidUntil   time.Time // zero: no end date
	Source       string    // file:line
	line         int
}

// LineError is one bad line of a registry file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseError lists every bad line of the files read; the registry is refused whole.
type ParseError struct{ Lines []*LineError }

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("registry: ")
	for i, l := range e.Lines {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 10 {
			fmt.Fprintf(&b, "and %d more", len(e.Lines)-10)
			break
		}
		b.WriteString(l.Error())
	}
	return b.String()
}

// Unwrap returns the line errors.
func (e *ParseError) Unwrap() []error {
	out := make([]error, len(e.Lines))
	for i, l := range e.Lines {
		out[i] = l
	}
	return out
}

// ErrNoJurisdiction is wrapped by the LineError of an entry that comes before any
// #!jurisdiction directive: add one at the top of the file.
var ErrNoJurisdiction = errors.New("registry: entry before a #!jurisdiction directive")

// Registry holds the filings of every loaded file. Safe for concurrent use (immutable).
type Registry struct {
	// byJur maps a jurisdiction to provider → filings.
	byJur map[string]map[string][]Filing
	// where maps a provider to the jurisdictions it is registered in.
	where map[string][]string
	files []string
	n     int
}

// Len returns the number of filings.
func (r *Registry) Len() int { return r.n }

// Has reports whether a registry for jurisdiction j was loaded.
func (r *Registry) Has(j string) bool {
	_, ok := r.byJur[j]
	return ok
}

// Lookup returns the filing of provider's service in jurisdiction j: the line naming the
// service, else the provider's "*" line. ok is false when there is none.
func (r *Registry) Lookup(j, provider, service string) (Filing, bool) {
	var any *Filing
	for i, f := range r.byJur[j][provider] {
		if f.Service == service {
			return f, true
		}
		if f.Service == "*" {
			any = &r.byJur[j][provider][i]
		}
	}
	if any != nil {
		return *any, true
	}
	return Filing{}, false
}

// RegisteredIn returns the jurisdictions whose registries list provider.
func (r *Registry) RegisteredIn(provider string) []string { return r.where[provider] }

// Load reads registry files. Every bad line of every file is reported (*ParseError) and
// nothing is returned then.
func Load(paths ...string) (*Registry, error) {
	r := &Registry{byJur: map[string]map[string][]Filing{}, where: map[string][]string{}}
	var bad []*LineError
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
		fs, errs := Parse(p, data)
		bad = append(bad, errs...)
		for _, f := range fs {
			if prev, ok := r.Lookup(f.Jurisdiction, f.Provider, f.Service); ok && prev.Service == f.Service {
				bad = append(bad, &LineError{File: p, Line: f.line, Msg: fmt.Sprintf("%s/%s is already listed at %s", f.Provider, f.Service, prev.Source)})
				continue
			}
			if r.byJur[f.Jurisdiction] == nil {
				r.byJur[f.Jurisdiction] = map[string][]Filing{}
			}
			if len(r.byJur[f.Jurisdiction][f.Provider]) == 0 {
				r.where[f.Provider] = append(r.where[f.Provider], f.Jurisdiction)
			}
			r.byJur[f.Jurisdiction][f.Provider] = append(r.byJur[f.Jurisdiction][f.Provider], f)
			r.n++
		}
		r.files = append(r.files, p)
	}
	if len(bad) > 0 {
		return nil, &ParseError{Lines: bad}
	}
	return r, nil
}

// Parse reads one registry file: a #!jurisdiction directive, then lines
// provider<TAB>service<TAB>filing number<TAB>status<TAB>filed on<TAB>valid until
// (valid until may be empty or left out; dates are YYYY-MM-DD); blank lines and lines
// starting with # are skipped. It returns the good lines and an error per bad one.
func Parse(name string, data []byte) ([]Filing, []*LineError) {
	var out []Filing
	var bad []*LineError
	jur := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		fail := func(format string, a ...any) {
			bad = append(bad, &LineError{File: name, Line: n, Msg: fmt.Sprintf(format, a...)})
		}
		if d, ok := strings.CutPrefix(line, "#!"); ok {
			kw, v, _ := strings.Cut(strings.TrimSpace(d), " ")
			v = strings.ToUpper(strings.TrimSpace(v))
			switch {
			case kw != "jurisdiction":
				fail("unknown directive %q (want #!jurisdiction CODE)", kw)
			case !validCode(v):
				fail("#!jurisdiction %q: want a code such as CN, EU, US-CA", v)
			case jur != "" && jur != v:
				fail("second #!jurisdiction (%s after %s): one registry file per jurisdiction", v, jur)
			default:
				jur = v
			}
			continue
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if jur == "" {
			bad = append(bad, &LineError{File: name, Line: n, Msg: ErrNoJurisdiction.Error()})
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 5 || len(cols) > 6 {
			fail("%d columns, want 5 or 6: provider, service, filing number, status, filed on[, valid until]", len(cols))
			continue
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		f := Filing{Jurisdiction: jur, Provider: cols[0], Service: cols[1], Number: cols[2], Status: Status(strings.ToLower(cols[3])),
			Source: fmt.Sprintf("%s:%d", name, n), line: n}
		switch {
		case f.Provider == "":
			fail("empty provider")
			continue
		case f.Service == "":
			fail("empty service (write * for every service of the provider)")
			continue
		case f.Number == "":
			fail("empty filing number")
			continue
		}
		switch f.Status {
		case StatusFiled, StatusRevoked, StatusSuspended, StatusExpired:
		default:
			fail("status %q: want filed, revoked, suspended or expired", cols[3])
			continue
		}
		var err error
		if f.FiledOn, err = time.Parse(time.DateOnly, cols[4]); err != nil {
			fail("filed on %q: want a date YYYY-MM-DD", cols[4])
			continue
		}
		if len(cols) == 6 && cols[5] != "" {
			if f.ValidUntil, err = time.Parse(time.DateOnly, cols[5]); err != nil {
				fail("valid until %q: want a date YYYY-MM-DD or nothing", cols[5])
				continue
			}
			if !f.ValidUntil.After(f.FiledOn) {
				fail("valid until %s is not after filed on %s", cols[5], cols[4])
				continue
			}
		}
		out = append(out, f)
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, &LineError{File: name, Msg: err.Error()})
	}
	return out, bad
}

func validCode(s string) bool {
	c, sub, _ := strings.Cut(s, "-")
	if len(c) != 2 {
		return false
	}
	for _, x := range c + sub {
		if !(x >= 'A' && x <= 'Z' || x >= '0' && x <= '9') {
			return false
		}
	}
	return true
}
