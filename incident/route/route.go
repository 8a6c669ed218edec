// Package route is the routing tree of incident delivery: receivers (a webhook URL and
// its signing keys) and routes that send each incident to one or several receivers, in
// Alertmanager's form (match and match_re on incident labels, continue, a default
// receiver at the root, group_by/group_wait/group_interval/repeat_interval inherited
// down the tree).
//
// A routing file is decoded strictly and validated as a whole: unknown keys, unknown
// receivers, bad regexes, bad URLs, unreadable keys; every problem is listed with its
// place. A Holder keeps the running tree when a reload fails.
//
// Left out: sending (package webhook), grouping and retries (package deliver).
package route

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/webhook"
)

// ErrInvalid wraps every problem found in a routing file; errors.Is tells a bad file
// from an unreadable one.
var ErrInvalid = errors.New("route: invalid routing config")

// GroupAll as the only group_by value groups nothing: every incident is notified alone
// (Alertmanager's "...").
const GroupAll = "..."

// Defaults of a routing file.
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
	DefaultTimeout        = 10 * time.Second
	DefaultMaxEvents      = 100
	DefaultMaxAttempts    = 12
	DefaultMaxAge         = 24 * time.Hour
	DefaultBackoffMin     = time.Second
	DefaultBackoffMax     = 5 * time.Minute
)

// DefaultGroupBy groups incidents of one provider and one rule.
var DefaultGroupBy = []string{"provider", "rule"}

// Config is a routing file as written.
type Config struct {
	Receivers []ReceiverConfig `yaml:"receivers"`
	Route     *RouteConfig     `yaml:"route"`
}

// ReceiverConfig is one receiver as written. Zero values take the defaults.
type ReceiverConfig struct {
	Name string `yaml:"name"` // [A-Za-z0-9_-]+: used in consumer group names and metric labels
	URL  string `yaml:"url"`  // http or https
	// SecretFile holds the signing secrets, one a line, "whsec_<base64>"; every one signs
	// each request (several during a rotation). Relative paths are relative to the routing file.
	SecretFile  string        `yaml:"secret_file"`
	Timeout     time.Duration `yaml:"timeout"`      // per request
	MaxEvents   int           `yaml:"max_events"`   // incident events carried by one grouped notification
	MaxAttempts int           `yaml:"max_attempts"` // then the notification's incidents are parked
	MaxAge      time.Duration `yaml:"max_age"`      // or when the oldest has waited this long
	BackoffMin  time.Duration `yaml:"backoff_min"`
	BackoffMax  time.Duration `yaml:"backoff_max"`
}

// RouteConfig is one node of the routing tree as written. Unset grouping settings are
// inherited from the parent.
type RouteConfig struct {
	Receiver       string            `yaml:"receiver"`
	Match          map[string]string `yaml:"match"`
	MatchRE        map[string]string `yaml:"match_re"`
	Continue       bool              `yaml:"continue"`
	GroupBy        []string          `yaml:"group_by"`
	GroupWait      *time.Duration    `yaml:"group_wait"`
	GroupInterval  *time.Duration    `yaml:"group_interval"`
	RepeatInterval *time.Duration    `yaml:"repeat_interval"`
	Routes         []*RouteConfig    `yaml:"routes"`
}

// Receiver is a validated receiver.
type Receiver struct {
	Name        string
	URL         string
	Secrets     []webhook.Secret
	Timeout     time.Duration
	MaxEvents   int
	MaxAttempts int
	MaxAge      time.Duration
	BackoffMin  time.Duration
	BackoffMax  time.Duration
}

// Route is a validated node of the tree. It is immutable once built.
type Route struct {
	ID             string // position in the tree: "0", "0.1", "0.1.0"
	Receiver       string
	Continue       bool
	GroupBy        []string // empty with GroupAll
	GroupAll       bool
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
	Routes         []*Route

	matchers []matcher
}

type matcher struct {
	label string
	eq    string
	re    *regexp.Regexp
}

func (m matcher) matches(s *incident.Summary) bool {
	v := s.Label(m.label)
	if m.re != nil {
		return m.re.MatchString(v)
	}
	return v == m.eq
}

// Tree is a validated routing file. It is immutable and safe for concurrent use.
type Tree struct {
	Root      *Route
	Receivers map[string]*Receiver
	Names     []string // receiver names in file order
	Hash      string   // sha256 of the file and the secrets, hex
}

// Match returns the routes an incident is sent through, in tree order: the deepest
// matching routes, siblings tried in order and the first match ending the search unless
// it says continue; the root when nothing below matches. Several routes may name the
// same receiver.
func (t *Tree) Match(s *incident.Summary) []*Route {
	return t.Root.match(s)
}

func (r *Route) match(s *incident.Summary) []*Route {
	for _, m := range r.matchers {
		if !m.matches(s) {
			return nil
		}
	}
	var out []*Route
	for _, c := range r.Routes {
		got := c.match(s)
		out = append(out, got...)
		if len(got) > 0 && !c.Continue {
			break
		}
	}
	if len(out) == 0 {
		out = []*Route{r}
	}
	return out
}

// GroupKey is the key of the group an incident joins on this route.
func (r *Route) GroupKey(s *incident.Summary) string {
	var b strings.Builder
	b.WriteString(r.ID)
	if r.GroupAll {
		b.WriteString("|id=")
		b.WriteString(s.ID)
		return b.String()
	}
	for _, l := range r.GroupBy {
		b.WriteString("|")
		b.WriteString(l)
		b.WriteString("=")
		b.WriteString(strconv.Quote(s.Label(l)))
	}
	return b.String()
}

// GroupLabels are the group_by labels and their values for an incident.
func (r *Route) GroupLabels(s *incident.Summary) map[string]string {
	m := map[string]string{}
	if r.GroupAll {
		m["id"] = s.ID
		return m
	}
	for _, l := range r.GroupBy {
		m[l] = s.Label(l)
	}
	return m
}

// Load reads and validates a routing file.
func Load(path string) (*Tree, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("route: %w", err)
	}
	return Parse(path, b)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Parse decodes and validates a routing file named name (relative secret files are read
// relative to its directory). Every problem is reported, each on its own line.
func Parse(name string, b []byte) (*Tree, error) {
	var c Config
	var errs []error
	bad := func(where, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{where}, a...)...))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
		}
		for _, e := range te.Errors { // one per unknown key or wrong type; the rest still decoded
			errs = append(errs, errors.New(strings.TrimPrefix(e, "yaml: ")))
		}
	}
	h := sha256.New()
	h.Write(b)
	t := &Tree{Receivers: map[string]*Receiver{}}
	if len(c.Receivers) == 0 {
		bad("receivers", "at least one receiver is required")
	}
	for i, rc := range c.Receivers {
		where := fmt.Sprintf("receivers[%d]", i)
		if rc.Name != "" {
			where = fmt.Sprintf("receivers[%d] (%s)", i, rc.Name)
		}
		r := &Receiver{Name: rc.Name, URL: rc.URL, Timeout: or(rc.Timeout, DefaultTimeout), MaxEvents: orInt(rc.MaxEvents, DefaultMaxEvents),
			MaxAttempts: orInt(rc.MaxAttempts, DefaultMaxAttempts), MaxAge: or(rc.MaxAge, DefaultMaxAge),
			BackoffMin: or(rc.BackoffMin, DefaultBackoffMin), BackoffMax: or(rc.BackoffMax, DefaultBackoffMax)}
		switch {
		case rc.Name == "":
			bad(where+".name", "required")
		case !nameRE.MatchString(rc.Name):
			bad(where+".name", "%q: want letters, digits, _ and - only", rc.Name)
		case t.Receivers[rc.Name] != nil:
			bad(where+".name", "%q is defined twice", rc.Name)
		}
		if u, err := url.Parse(rc.URL); rc.URL == "" {
			bad(where+".url", "required")
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(where+".url", "%q: want an absolute http or https URL", rc.URL)
		}
		if rc.SecretFile == "" {
			bad(where+".secret_file", "required: every request is signed")
		} else {
			p := rc.SecretFile
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(name), p)
			}
			sb, err := os.ReadFile(p)
			if err == nil {
				r.Secrets, err = webhook.ParseSecrets(sb)
			}
			if err != nil {
				bad(where+".secret_file", "%v", err)
			}
			h.Write(sb)
		}
		for _, d := range []struct {
			key string
			v   time.Duration
		}{{"timeout", rc.Timeout}, {"max_age", rc.MaxAge}, {"backoff_min", rc.BackoffMin}, {"backoff_max", rc.BackoffMax}} {
			if d.v < 0 {
				bad(where+"."+d.key, "%v: must be positive", d.v)
			}
		}
		if rc.MaxEvents < 0 {
			bad(where+".max_events", "%d: must be positive", rc.MaxEvents)
		}
		if rc.MaxAttempts < 0 {
			bad(where+".max_attempts", "%d: must be positive", rc.MaxAttempts)
		}
		if r.BackoffMin > r.BackoffMax {
			bad(where+".backoff_min", "%v: must not exceed backoff_max (%v)", r.BackoffMin, r.BackoffMax)
		}
		if rc.Name != "" && t.Receivers[rc.Name] == nil {
			t.Receivers[rc.Name] = r
			t.Names = append(t.Names, rc.Name)
		}
	}
	if c.Route == nil {
		bad("route", "required: the root route names the default receiver")
	} else {
		if c.Route.Receiver == "" {
			bad("route.receiver", "required: the root route's receiver gets every incident no other route takes")
		}
		if len(c.Route.Match) > 0 || len(c.Route.MatchRE) > 0 {
			bad("route", "the root route matches every incident: match and match_re are not allowed there")
		}
		root := &Route{GroupBy: DefaultGroupBy, GroupWait: DefaultGroupWait, GroupInterval: DefaultGroupInterval, RepeatInterval: DefaultRepeatInterval}
		t.Root = build(c.Route, root, "0", "route", t.Receivers, bad)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s:\n%w", ErrInvalid, name, errors.Join(errs...))
	}
	t.Hash = hex.EncodeToString(h.Sum(nil))
	return t, nil
}

func build(c *RouteConfig, parent *Route, id, where string, receivers map[string]*Receiver, bad func(string, string, ...any)) *Route {
	r := &Route{ID: id, Receiver: c.Receiver, Continue: c.Continue, GroupBy: parent.GroupBy, GroupAll: parent.GroupAll,
		GroupWait: parent.GroupWait, GroupInterval: parent.GroupInterval, RepeatInterval: parent.RepeatInterval}
	if r.Receiver == "" {
		r.Receiver = parent.Receiver
	} else if receivers[r.Receiver] == nil {
		bad(where+".receiver", "%q: no receiver of that name", r.Receiver)
	}
	if c.GroupBy != nil {
		r.GroupBy, r.GroupAll = nil, false
		if len(c.GroupBy) == 1 && c.GroupBy[0] == GroupAll {
			r.GroupAll = true
		} else {
			for _, l := range c.GroupBy {
				if l == GroupAll {
					bad(where+".group_by", "%q must be the only value", GroupAll)
				} else if !slices.Contains(incident.Labels, l) {
					bad(where+".group_by", "%q: unknown label (want one of %s, or %q alone)", l, strings.Join(incident.Labels, ", "), GroupAll)
				} else if !slices.Contains(r.GroupBy, l) {
					r.GroupBy = append(r.GroupBy, l)
				}
			}
		}
	}
	for _, d := range []struct {
		key string
		v   *time.Duration
		dst *time.Duration
	}{{"group_wait", c.GroupWait, &r.GroupWait}, {"group_interval", c.GroupInterval, &r.GroupInterval}, {"repeat_interval", c.RepeatInterval, &r.RepeatInterval}} {
		if d.v == nil {
			continue
		}
		if *d.v < 0 || (*d.v == 0 && d.key != "group_wait") {
			bad(where+"."+d.key, "%v: must be positive", *d.v)
		}
		*d.dst = *d.v
	}
	for _, l := range sortedKeys(c.Match) {
		if !slices.Contains(incident.Labels, l) {
			bad(where+".match."+l, "unknown label (want one of %s)", strings.Join(incident.Labels, ", "))
			continue
		}
		r.matchers = append(r.matchers, matcher{label: l, eq: c.Match[l]})
	}
	for _, l := range sortedKeys(c.MatchRE) {
		if !slices.Contains(incident.Labels, l) {
			bad(where+".match_re."+l, "unknown label (want one of %s)", strings.Join(incident.Labels, ", "))
			continue
		}
		// Anchored, as in Alertmanager: "high|critical" matches the whole value.
		re, err := regexp.Compile("^(?:" + c.MatchRE[l] + ")$")
		if err != nil {
			bad(where+".match_re."+l, "%q: %v", c.MatchRE[l], err)
			continue
		}
		r.matchers = append(r.matchers, matcher{label: l, re: re})
	}
	for i, cc := range c.Routes {
		if cc == nil {
			bad(fmt.Sprintf("%s.routes[%d]", where, i), "empty route")
			continue
		}
		r.Routes = append(r.Routes, build(cc, r, id+"."+strconv.Itoa(i), fmt.Sprintf("%s.routes[%d]", where, i), receivers, bad))
	}
	return r
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}

func or(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// Routes lists every route of the tree, depth first.
func (t *Tree) Routes() []*Route {
	var out []*Route
	var walk func(*Route)
	walk = func(r *Route) {
		out = append(out, r)
		for _, c := range r.Routes {
			walk(c)
		}
	}
	walk(t.Root)
	return out
}
