package c2pa

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Store is a parsed C2PA manifest store.
type Store struct {
	Root      *Node
	Manifests []*Manifest // in store order; the last one is the active manifest
	data      []byte
	lim       Limits
}

// Manifest is one manifest of the store.
type Manifest struct {
	Label      string
	Update     bool // an update manifest (c2um)
	Node       *Node
	Claim      *Claim // nil when the claim is missing or undecodable (see ClaimErr)
	ClaimErr   error
	Assertions *Node // the assertion store (c2pa.assertions), nil when missing
	Signature  *Node // c2pa.signature, nil when missing
}

// Claim is the decoded claim of a manifest (c2pa.claim or c2pa.claim.v2).
type Claim struct {
	Version        int // 1 for c2pa.claim, 2 for c2pa.claim.v2
	ClaimGenerator string
	GeneratorInfo  []GeneratorInfo
	InstanceID     string
	Title          string
	Format         string
	Alg            string
	Assertions     []HashedURI // v1 assertions, or v2 created_assertions then gathered_assertions
}

// GeneratorInfo names the software that made a claim.
type GeneratorInfo struct {
	Name    string `cbor:"name"`
	Version string `cbor:"version"`
}

// HashedURI is a C2PA hashed URI: a JUMBF URI and the hash of what it names.
type HashedURI struct {
	URL  string `cbor:"url"`
	Alg  string `cbor:"alg"`
	Hash []byte `cbor:"hash"`
}

// Active returns the active manifest (the last in the store), or nil when there is none.
func (s *Store) Active() *Manifest {
	if len(s.Manifests) == 0 {
		return nil
	}
	return s.Manifests[len(s.Manifests)-1]
}

// Manifest returns the manifest with the given label, or nil.
func (s *Store) Manifest(label string) *Manifest {
	for _, m := range s.Manifests {
		if m.Label == label {
			return m
		}
	}
	return nil
}

var decMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  32,
		MaxArrayElements: 65536,
		MaxMapPairs:      65536,
		DupMapKey:        cbor.DupMapKeyQuiet,
		IndefLength:      cbor.IndefLengthAllowed,
		DefaultMapType:   reflect.TypeFor[map[any]any](),
	}.DecMode()
	if err != nil {
		panic(err) // static options
	}
	return dm
}()

// decodeCBOR decodes b into v. A value of the wrong type for a field leaves that field
// zero and is reported (after the rest was decoded) as a *cbor.UnmarshalTypeError.
func decodeCBOR(b []byte, lim Limits, v any) error {
	if len(b) > lim.MaxCBORBytes {
		return fmt.Errorf("%d bytes of CBOR, limit %d: %w", len(b), lim.MaxCBORBytes, ErrLimit)
	}
	return decMode.Unmarshal(b, v)
}

// Parse parses a manifest store: the JUMBF superbox with the C2PA store description.
// A store with a bad box structure is an *Error. A manifest whose claim cannot be decoded
// is kept, with ClaimErr set: the store is still reported, and the verification says the
// claim is malformed.
func Parse(data []byte, lim Limits) (*Store, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxStoreBytes {
		return nil, &Error{Msg: fmt.Sprintf("store is %d bytes, limit %d", len(data), lim.MaxStoreBytes), Err: ErrLimit}
	}
	root, err := parseJUMBF(data, lim)
	if err != nil {
		return nil, err
	}
	if root.TypeCode() != "c2pa" {
		return nil, &Error{Msg: fmt.Sprintf("superbox %q is not a C2PA manifest store", root.Label), Err: ErrMalformed}
	}
	s := &Store{Root: root, data: data, lim: lim}
	for _, c := range root.Children {
		code := c.TypeCode()
		if code != "c2ma" && code != "c2um" {
			continue
		}
		if len(s.Manifests) >= lim.MaxManifests {
			return nil, &Error{Offset: int64(c.Off), Msg: fmt.Sprintf("more than %d manifests", lim.MaxManifests), Err: ErrLimit}
		}
		m := &Manifest{Label: c.Label, Update: code == "c2um", Node: c}
		m.Assertions = c.Child("c2pa.assertions")
		m.Signature = c.Child("c2pa.signature")
		m.Claim, m.ClaimErr = s.decodeClaim(c)
		s.Manifests = append(s.Manifests, m)
	}
	return s, nil
}

// errNoClaim: a manifest without a claim box.
var errNoClaim = errors.New("no claim")

type wireClaim struct {
	ClaimGenerator     string          `cbor:"claim_generator"`
	GeneratorInfo      cbor.RawMessage `cbor:"claim_generator_info"`
	InstanceID         string          `cbor:"instanceID"`
	Title              string          `cbor:"dc:title"`
	TitleV2            string          `cbor:"title"`
	Format             string          `cbor:"dc:format"`
	Alg                string          `cbor:"alg"`
	Assertions         []HashedURI     `cbor:"assertions"`
	CreatedAssertions  []HashedURI     `cbor:"created_assertions"`
	GatheredAssertions []HashedURI     `cbor:"gathered_assertions"`
}

func (s *Store) decodeClaim(m *Node) (*Claim, error) {
	n, version := m.Child("c2pa.claim.v2"), 2
	if n == nil {
		n, version = m.Child("c2pa.claim"), 1
	}
	if n == nil {
		return nil, errNoClaim
	}
	b, ok := n.ContentBox("cbor")
	if !ok {
		return nil, fmt.Errorf("claim box has no cbor content")
	}
	var w wireClaim
	if err := decodeCBOR(b, s.lim, &w); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	c := &Claim{Version: version, ClaimGenerator: w.ClaimGenerator, InstanceID: w.InstanceID,
		Title: w.Title, Format: w.Format, Alg: w.Alg}
	if c.Title == "" {
		c.Title = w.TitleV2
	}
	if len(w.GeneratorInfo) > 0 {
		var list []GeneratorInfo
		if decodeCBOR(w.GeneratorInfo, s.lim, &list) != nil {
			var one GeneratorInfo
			if decodeCBOR(w.GeneratorInfo, s.lim, &one) == nil {
				list = []GeneratorInfo{one}
			}
		}
		c.GeneratorInfo = list
	}
	c.Assertions = append(c.Assertions, w.Assertions...)
	c.Assertions = append(c.Assertions, w.CreatedAssertions...)
	c.Assertions = append(c.Assertions, w.GatheredAssertions...)
	if len(c.Assertions) > s.lim.MaxAssertions {
		return nil, fmt.Errorf("claim references %d assertions, limit %d: %w", len(c.Assertions), s.lim.MaxAssertions, ErrLimit)
	}
	return c, nil
}

// resolve finds the superbox a JUMBF URI names, relative to manifest m; nil when it
// names nothing in this store.
func (s *Store) resolve(m *Manifest, uri string) *Node {
	p, ok := strings.CutPrefix(uri, "self#jumbf=")
	if !ok {
		return nil
	}
	node := m.Node
	// Absolute: "/c2pa/<manifest>/...". Writers also omit the leading slash
	// ("c2pa/<manifest>/..."); the reference implementation accepts that form too.
	if strings.HasPrefix(p, s.Root.Label+"/") {
		p = "/" + p
	}
	if rest, abs := strings.CutPrefix(p, "/"); abs {
		parts := strings.Split(rest, "/")
		if len(parts) < 2 || parts[0] != s.Root.Label {
			return nil
		}
		mm := s.Manifest(parts[1])
		if mm == nil {
			return nil
		}
		node, p = mm.Node, strings.Join(parts[2:], "/")
	}
	if p == "" {
		return node
	}
	for part := range strings.SplitSeq(p, "/") {
		if node = node.Child(part); node == nil {
			return nil
		}
	}
	return node
}

// manifestOf returns the manifest a URI such as "self#jumbf=/c2pa/<label>" names.
func (s *Store) manifestOf(uri string) *Manifest {
	p, ok := strings.CutPrefix(uri, "self#jumbf=")
	if !ok {
		return nil
	}
	p = strings.TrimPrefix(p, "/")
	parts := strings.Split(p, "/")
	if len(parts) < 2 || parts[0] != s.Root.Label {
		return nil
	}
	return s.Manifest(parts[1])
}

// payload returns a superbox's bytes after its header: what a hashed URI's hash covers.
func (s *Store) payload(n *Node) []byte { return s.data[n.Off+n.HdrLen : n.Off+n.Len] }

// instanceSuffix is the "__N" suffix C2PA appends to repeated assertion labels.
var instanceSuffix = regexp.MustCompile(`__[0-9]+$`)

// baseLabel strips the instance suffix: c2pa.ingredient__2 → c2pa.ingredient.
func baseLabel(l string) string { return instanceSuffix.ReplaceAllString(l, "") }

// Action is one action of c2pa.actions or c2pa.actions.v2.
type Action struct {
	Action            string
	DigitalSourceType string
	SoftwareAgent     string
	When              string
}

type wireActions struct {
	Actions            []wireAction `cbor:"actions"`
	AllActionsIncluded *bool        `cbor:"allActionsIncluded"`
}

type wireAction struct {
	Action            string          `cbor:"action"`
	DigitalSourceType string          `cbor:"digitalSourceType"`
	SoftwareAgent     cbor.RawMessage `cbor:"softwareAgent"`
	When              cbor.RawMessage `cbor:"when"`
}

// text returns a CBOR text, a date-time (tag 0 or 1) as RFC 3339, or a
// claim_generator_info map as "name version"; "" for anything else.
func text(raw cbor.RawMessage, lim Limits) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if decodeCBOR(raw, lim, &v) != nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case cbor.Tag:
		if s, ok := x.Content.(string); ok {
			return s
		}
	case map[any]any:
		name, _ := x["name"].(string)
		ver, _ := x["version"].(string)
		return strings.TrimSpace(name + " " + ver)
	}
	return ""
}

// Ingredient is one ingredient assertion of a manifest.
type Ingredient struct {
	Label        string
	Title        string
	Relationship string
	Manifest     string // label of the ingredient's manifest in this store, "" when none
	// DigitalSourceTypes are those of the ingredient manifest's actions, when it is in
	// the store.
	DigitalSourceTypes []string
}

type wireIngredient struct {
	Title          string     `cbor:"dc:title"`
	Relationship   string     `cbor:"relationship"`
	C2PAManifest   *HashedURI `cbor:"c2pa_manifest"`
	ActiveManifest *HashedURI `cbor:"activeManifest"`
}
