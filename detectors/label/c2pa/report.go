package c2pa

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/aigcwatch/aigcwatch/record"
)

// ValidationState is the state this package reports. It never reports "Valid" or
// "Trusted": it does not validate signatures or trust.
const (
	// StateUnverified: the manifest is well formed, its assertion references match and
	// its hard binding matches or could not be checked here (HardBinding says which); the
	// claim signature and the signer's trust were not validated.
	StateUnverified = "Unverified"
	// StateInvalid: a check that was made failed (a mismatch, a missing or malformed
	// claim or assertion, an unsupported algorithm): the provenance is not usable.
	StateInvalid = "Invalid"
)

// Hard-binding outcomes (Report.HardBinding).
const (
	BindingMatch     = "match"     // c2pa.hash.data or c2pa.hash.bmff(.v2) verified against the asset bytes
	BindingMismatch  = "mismatch"  // the hash differs: the asset was changed after signing
	BindingUnchecked = "unchecked" // a box, collection or Merkle BMFF hash: not verified here
	BindingMissing   = "missing"   // the active manifest has no hard binding
)

// Report is what Read found and checked.
type Report struct {
	Manifests   int    // manifests in the store
	Active      string // the active manifest's label
	Update      bool   // the active manifest is an update manifest
	State       string // StateUnverified or StateInvalid
	HardBinding string // one of the Binding constants; "" when there is no active manifest
	// BindingKind is the label of the hard-binding assertion (c2pa.hash.data,
	// c2pa.hash.bmff.v2...), "" when missing.
	BindingKind string
	// StatusCodes are C2PA validation status codes for the checks made, failures first,
	// each once.
	StatusCodes []string

	ClaimVersion int
	// SignerOrg and When are the signing certificate's organization and the time
	// stamp's time, as found: not validated.
	SignerOrg, When    string
	ClaimGenerator     string
	GeneratorInfo      []GeneratorInfo
	InstanceID         string
	Title              string
	Actions            []Action
	AllActionsIncluded *bool
	Ingredients        []Ingredient
	// Warnings are problems that did not change the state: an undecodable optional
	// field, a list cut at a limit.
	Warnings []string
}

// Asset is the file a manifest store was found in.
type Asset struct {
	// Data is the whole file: data-hash exclusions are offsets into it.
	Data []byte
	// StoreOff and StoreLen are the extent of the store's carrier in Data (for JPEG the
	// APP11 segments, markers included); StoreLen 0 when unknown. They are used only for
	// an update manifest, whose parent's data hash was made before the store grew: its
	// exclusion that starts at StoreOff is taken to cover the store as it is now, as the
	// reference implementation does.
	StoreOff, StoreLen int
}

// Read parses the manifest store and checks the active manifest against the asset. A
// store whose JUMBF cannot be parsed is an error; everything after that (a missing
// claim, a mismatch) is reported in the Report's State and StatusCodes.
func Read(store []byte, asset Asset, lim Limits) (*Report, error) {
	s, err := Parse(store, lim)
	if err != nil {
		return nil, err
	}
	return s.Check(asset), nil
}

// Check verifies the active manifest against asset and summarises it.
func (s *Store) Check(asset Asset) *Report {
	r := &Report{Manifests: len(s.Manifests), State: StateUnverified}
	var fails, oks []string
	fail := func(code string) {
		if !slices.Contains(fails, code) {
			fails = append(fails, code)
		}
	}
	ok := func(code string) {
		if !slices.Contains(oks, code) {
			oks = append(oks, code)
		}
	}
	defer func() {
		r.StatusCodes = append(fails, oks...)
		if len(fails) > 0 {
			r.State = StateInvalid
		}
	}()
	m := s.Active()
	if m == nil {
		fail("claim.missing")
		return r
	}
	r.Active, r.Update = m.Label, m.Update
	c := m.Claim
	switch {
	case errors.Is(m.ClaimErr, errNoClaim):
		fail("claim.missing")
		return r
	case m.ClaimErr != nil:
		fail("claim.malformed")
		r.warnf("active manifest %q: %v", m.Label, m.ClaimErr)
		return r
	}
	if m.Signature == nil {
		fail("claimSignature.missing")
	} else if org, when, err := s.signerInfo(m.Signature); err != nil {
		r.warnf("c2pa.signature: %v", err)
	} else {
		r.SignerOrg, r.When = org, when
	}
	r.ClaimVersion, r.ClaimGenerator, r.GeneratorInfo = c.Version, c.ClaimGenerator, c.GeneratorInfo
	r.InstanceID, r.Title = c.InstanceID, c.Title

	binding := s.checkRefs(m, r, true, fail, ok)
	bindingAlg := c.Alg
	if binding == nil && m.Update {
		// An update manifest has no hard binding of its own: the asset is bound by its
		// parent ingredient's manifest, which is checked instead.
		if p := s.parent(r); p != nil && p.Claim != nil {
			binding, bindingAlg = s.checkRefs(p, r, false, fail, ok), p.Claim.Alg
		}
	}
	// bound records a binding check's status code: a match is a success, a mismatch a
	// failure, and anything else (unchecked) neither.
	bound := func(code, res string) {
		r.HardBinding = res
		switch res {
		case BindingMatch:
			ok(code)
		case BindingMismatch:
			fail(code)
		}
	}
	switch {
	case binding != nil:
		r.BindingKind = baseLabel(binding.Label)
		switch r.BindingKind {
		case "c2pa.hash.bmff", "c2pa.hash.bmff.v2", "c2pa.hash.bmff.v3":
			bound(s.checkBMFF(binding, bindingAlg, asset.Data, r))
		case "c2pa.hash.boxes":
			bound(s.boxHash(binding, bindingAlg, asset.Data, r))
		case "c2pa.hash.collection.data":
			err := s.collectionHash(binding, bindingAlg, asset.Data)
			var unchecked errUnchecked
			switch {
			case errors.As(err, &unchecked):
				r.warnf("%s: not verified here: %v", binding.Label, err)
				r.HardBinding = BindingUnchecked
			case err != nil:
				r.warnf("%s: %v", binding.Label, err)
				bound("assertion.collectionHash.mismatch", BindingMismatch)
			default:
				bound("assertion.collectionHash.match", BindingMatch)
			}
		case "c2pa.hash.data":
			code, res := s.dataHash(binding, bindingAlg, asset, m.Update, r)
			r.HardBinding = res
			if res == BindingMatch {
				ok(code)
			} else {
				fail(code)
			}
		default:
			r.HardBinding = BindingUnchecked
		}
	default:
		r.HardBinding = BindingMissing
		fail("claim.hardBindings.missing")
	}
	return r
}

// checkRefs verifies the hashed URIs of m's claim and returns its hard-binding
// assertion (nil when none). With collect, actions and ingredients go into r.
func (s *Store) checkRefs(m *Manifest, r *Report, collect bool, fail, ok func(string)) *Node {
	c := m.Claim
	var binding *Node
	for _, ref := range c.Assertions {
		n := s.resolve(m, ref.URL)
		if n == nil {
			fail("assertion.missing")
			r.warnf("assertion %q is not in the store", ref.URL)
			continue
		}
		h := newHash(cmpOr(ref.Alg, c.Alg))
		if h == nil {
			fail("algorithm.unsupported")
			r.warnf("assertion %q: hash algorithm %q is not supported", ref.URL, cmpOr(ref.Alg, c.Alg))
			continue
		}
		h.Write(s.payload(n))
		if !bytes.Equal(h.Sum(nil), ref.Hash) {
			fail("assertion.hashedURI.mismatch")
			r.warnf("assertion %q: hash does not match", ref.URL)
			continue
		}
		ok("assertion.hashedURI.match")
		label := baseLabel(n.Label)
		switch {
		case collect && (label == "c2pa.actions" || label == "c2pa.actions.v2"):
			s.actions(r, n)
		case collect && strings.HasPrefix(label, "c2pa.ingredient"):
			if !s.ingredient(r, n, c.Alg) {
				fail("ingredient.manifest.mismatch")
			}
		case label == "c2pa.hash.data" || label == "c2pa.hash.boxes" || label == "c2pa.hash.collection.data" ||
			strings.HasPrefix(label, "c2pa.hash.bmff"):
			if binding == nil {
				binding = n
			}
		}
	}
	return binding
}

// parent returns the manifest of the active manifest's parentOf ingredient.
func (s *Store) parent(r *Report) *Manifest {
	for _, in := range r.Ingredients {
		if in.Relationship == "parentOf" && in.Manifest != "" {
			return s.Manifest(in.Manifest)
		}
	}
	return nil
}

func (r *Report) warnf(format string, args ...any) {
	if len(r.Warnings) < 32 {
		r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// newHash returns the hash named alg, or nil when it is not one C2PA allows.
func newHash(alg string) hash.Hash {
	switch strings.ToLower(alg) {
	case "sha256":
		return sha256.New()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return nil
}

type wireDataHash struct {
	Exclusions []struct {
		Start  uint64 `cbor:"start"`
		Length uint64 `cbor:"length"`
	} `cbor:"exclusions"`
	Alg  string `cbor:"alg"`
	Hash []byte `cbor:"hash"`
}

// dataHash verifies a c2pa.hash.data assertion against asset: the hash of every byte
// outside the exclusion ranges. It returns the status code and the binding outcome.
func (s *Store) dataHash(n *Node, claimAlg string, a Asset, update bool, r *Report) (string, string) {
	asset := a.Data
	b, ok := n.ContentBox("cbor")
	var w wireDataHash
	if !ok || decodeCBOR(b, s.lim, &w) != nil {
		r.warnf("c2pa.hash.data: undecodable")
		return "assertion.dataHash.malformed", BindingMismatch
	}
	h := newHash(cmpOr(w.Alg, claimAlg))
	if h == nil {
		r.warnf("c2pa.hash.data: hash algorithm %q is not supported", cmpOr(w.Alg, claimAlg))
		return "algorithm.unsupported", BindingMismatch
	}
	ex := slices.Clone(w.Exclusions)
	if update && a.StoreLen > 0 {
		for i := range ex {
			if ex[i].Start == uint64(a.StoreOff) {
				ex[i].Length = uint64(a.StoreLen)
			}
		}
	}
	slices.SortFunc(ex, func(a, b struct {
		Start  uint64 `cbor:"start"`
		Length uint64 `cbor:"length"`
	}) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	pos := uint64(0)
	size := uint64(len(asset))
	for _, e := range ex {
		end := e.Start + e.Length
		if end < e.Start || end > size || e.Start < pos {
			r.warnf("c2pa.hash.data: exclusion [%d, +%d) is outside the file or overlaps another", e.Start, e.Length)
			return "assertion.dataHash.mismatch", BindingMismatch
		}
		h.Write(asset[pos:e.Start])
		pos = end
	}
	h.Write(asset[pos:])
	if !bytes.Equal(h.Sum(nil), w.Hash) {
		return "assertion.dataHash.mismatch", BindingMismatch
	}
	return "assertion.dataHash.match", BindingMatch
}

// checkBMFF verifies a BMFF hash assertion; a kind it does not evaluate is unchecked.
func (s *Store) checkBMFF(n *Node, claimAlg string, asset []byte, r *Report) (string, string) {
	b, ok := n.ContentBox("cbor")
	var w wireBMFFHash
	if !ok || decodeCBOR(b, s.lim, &w) != nil {
		r.warnf("%s: undecodable", n.Label)
		return "assertion.bmffHash.malformed", BindingMismatch
	}
	version := 1
	switch baseLabel(n.Label) {
	case "c2pa.hash.bmff.v2":
		version = 2
	case "c2pa.hash.bmff.v3":
		version = 3
	}
	alg := cmpOr(w.Alg, claimAlg)
	err := s.verifyBMFF(n.Label, &w, version, alg, asset, r)
	var unchecked errUnchecked
	switch {
	case errors.As(err, &unchecked):
		r.warnf("%s: not verified here: %v", n.Label, err)
		return "", BindingUnchecked
	case err != nil:
		r.warnf("%s: %v", n.Label, err)
		return "assertion.bmffHash.mismatch", BindingMismatch
	}
	return "assertion.bmffHash.match", BindingMatch
}

// actions adds the actions of a c2pa.actions(.v2) assertion.
func (s *Store) actions(r *Report, n *Node) {
	b, ok := n.ContentBox("cbor")
	if !ok {
		r.warnf("%s: no cbor content", n.Label)
		return
	}
	var w wireActions
	if err := decodeCBOR(b, s.lim, &w); err != nil {
		r.warnf("%s: %v", n.Label, err)
	}
	if w.AllActionsIncluded != nil {
		r.AllActionsIncluded = w.AllActionsIncluded
	}
	for _, a := range w.Actions {
		if len(r.Actions) >= s.lim.MaxActions {
			r.warnf("more than %d actions: the rest are not reported", s.lim.MaxActions)
			return
		}
		r.Actions = append(r.Actions, Action{Action: a.Action, DigitalSourceType: a.DigitalSourceType,
			SoftwareAgent: text(a.SoftwareAgent, s.lim), When: text(a.When, s.lim)})
	}
}

// ingredient adds an ingredient assertion, with the digital source types of its
// manifest's actions when that manifest is in the store and its hashed URI (over the
// ingredient manifest's superbox) matches. It returns false on a mismatch: the
// ingredient's manifest was changed, and its source types are not used.
func (s *Store) ingredient(r *Report, n *Node, claimAlg string) bool {
	if len(r.Ingredients) >= s.lim.MaxIngredients {
		r.warnf("more than %d ingredients: the rest are not reported", s.lim.MaxIngredients)
		return true
	}
	b, ok := n.ContentBox("cbor")
	if !ok {
		r.warnf("%s: no cbor content", n.Label)
		return true
	}
	var w wireIngredient
	if err := decodeCBOR(b, s.lim, &w); err != nil {
		r.warnf("%s: %v", n.Label, err)
	}
	in := Ingredient{Label: n.Label, Title: w.Title, Relationship: w.Relationship}
	ref := w.ActiveManifest
	if ref == nil {
		ref = w.C2PAManifest
	}
	match := true
	if ref != nil {
		if m := s.manifestOf(ref.URL); m != nil {
			in.Manifest = m.Label
			h := newHash(cmpOr(ref.Alg, claimAlg))
			if h != nil {
				h.Write(s.payload(m.Node))
				match = bytes.Equal(h.Sum(nil), ref.Hash)
			}
			if match {
				in.DigitalSourceTypes = s.sourceTypes(m)
			} else {
				r.warnf("%s: the hash of ingredient manifest %q does not match", n.Label, m.Label)
			}
		}
	}
	r.Ingredients = append(r.Ingredients, in)
	return match
}

// sourceTypes returns the distinct digital source types of a manifest's actions.
func (s *Store) sourceTypes(m *Manifest) []string {
	if m.Claim == nil {
		return nil
	}
	var out []string
	for _, ref := range m.Claim.Assertions {
		n := s.resolve(m, ref.URL)
		if n == nil {
			continue
		}
		if l := baseLabel(n.Label); l != "c2pa.actions" && l != "c2pa.actions.v2" {
			continue
		}
		var sub Report
		sub.Warnings = nil
		s.actions(&sub, n)
		for _, a := range sub.Actions {
			if a.DigitalSourceType != "" && !slices.Contains(out, a.DigitalSourceType) {
				out = append(out, a.DigitalSourceType)
			}
		}
	}
	return out
}

// Record returns the report as the content record's c2pa object (docs/record.md).
func (r *Report) Record() *record.C2PA {
	c := &record.C2PA{
		Present:            true,
		ValidationState:    r.State,
		StatusCodes:        slices.Clone(r.StatusCodes),
		ClaimGenerator:     r.ClaimGenerator,
		SignerOrg:          r.SignerOrg,
		When:               r.When,
		InstanceID:         r.InstanceID,
		AllActionsIncluded: r.AllActionsIncluded,
		HardBinding:        r.HardBinding,
		Manifests:          r.Manifests,
		ActiveManifest:     r.Active,
	}
	if len(r.GeneratorInfo) > 0 {
		c.ClaimGeneratorInfo = &record.ClaimGenerator{Name: r.GeneratorInfo[0].Name, Version: r.GeneratorInfo[0].Version}
	}
	for _, a := range r.Actions {
		c.Actions = append(c.Actions, record.C2PAAction{Action: a.Action, DigitalSourceType: a.DigitalSourceType,
			SoftwareAgent: a.SoftwareAgent, When: a.When})
	}
	for _, in := range r.Ingredients {
		c.Ingredients = append(c.Ingredients, record.C2PAIngredient{Relationship: in.Relationship,
			DigitalSourceTypes: slices.Clone(in.DigitalSourceTypes)})
	}
	return c
}
