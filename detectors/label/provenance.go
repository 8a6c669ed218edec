package label

import (
	"strings"

	"github.com/aigcwatch/aigcwatch/record"
)

// C2PA classes from the C2PA conformance signals rubric (LABELING.md §3.1).
const (
	ClassFull      = "FULL"      // an inception action with trainedAlgorithmicMedia
	ClassPartial   = "PARTIAL"   // a GenAI source type elsewhere (composite, later action, ingredient)
	ClassPossible  = "POSSIBLE"  // digitalArt, composite, screenCapture
	ClassAmbiguous = "AMBIGUOUS" // no GenAI signal, and the action list may be incomplete
	ClassNone      = "NONE"      // no GenAI signal in a complete action list
)

// C2PA validation states as LabelFacts.C2PAState reports them.
const (
	StateTrusted   = "Trusted"
	StateValid     = "Valid"
	StateUntrusted = "Untrusted" // Valid plus signingCredential.untrusted
	StateInvalid   = "Invalid"
	// StateUnverified: a reader checked the manifest's integrity (hard binding, assertion
	// hashes) but not its signature or trust (aigcwatch inspect). Its AI claims are
	// evidence; where trust is needed (a marking layer, C2PA-01) it is inconclusive.
	StateUnverified = "Unverified"
	StateUnknown    = "Unknown" // a manifest with no or an unrecognised validation state
)

// dstTerm returns the last path segment of a digital source type URI, so the IPTC,
// https and bare forms compare alike; "c2pa:" is prefixed for C2PA's own vocabulary.
func dstTerm(uri string) string {
	u := strings.TrimSpace(uri)
	i := strings.LastIndexByte(u, '/')
	term := u[i+1:]
	if strings.Contains(u, "c2pa.org/digitalsourcetype") {
		return "c2pa:" + term // allocation only for the rare C2PA-own vocabulary
	}
	return term
}

// dstKind classifies one digital source type term.
func dstKind(term string) (genai, possible, capture bool) {
	switch term {
	case "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "compositeSynthetic", "c2pa:trainedAlgorithmicData":
		return true, false, false
	case "digitalArt", "composite", "screenCapture":
		return false, true, false
	case "digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print":
		return false, false, true
	}
	return false, false, false
}

func isInception(action string) bool { return action == "c2pa.created" || action == "c2pa.opened" }

// c2paClass classifies a manifest's AI-ness from its actions and ingredients.
func c2paClass(c *record.C2PA) string {
	full, partial, possible := false, false, false
	ambiguous := c.AllActionsIncluded == nil || !*c.AllActionsIncluded || len(c.Actions) == 0
	for i := range c.Actions {
		a := &c.Actions[i]
		if !strings.HasPrefix(a.Action, "c2pa.") || a.Action == "c2pa.unknown" {
			ambiguous = true
		}
		if a.DigitalSourceType == "" {
			continue
		}
		term := dstTerm(a.DigitalSourceType)
		g, p, _ := dstKind(term)
		switch {
		case term == "trainedAlgorithmicMedia" && isInception(a.Action):
			full = true
		case g:
			partial = true
		case p:
			possible = true
		}
	}
	for i := range c.Ingredients {
		for _, t := range c.Ingredients[i].DigitalSourceTypes {
			g, p, _ := dstKind(dstTerm(t))
			partial = partial || g
			possible = possible || p
		}
	}
	switch {
	case full:
		return ClassFull
	case partial:
		return ClassPartial
	case possible:
		return ClassPossible
	case ambiguous:
		return ClassAmbiguous
	}
	return ClassNone
}

// c2paCapture reports whether an inception action says captured media.
func c2paCapture(c *record.C2PA) bool {
	for i := range c.Actions {
		a := &c.Actions[i]
		if isInception(a.Action) && a.DigitalSourceType != "" {
			if _, _, capture := dstKind(dstTerm(a.DigitalSourceType)); capture {
				return true
			}
		}
	}
	return false
}

// c2paState reads the validation state and status codes: the state, and whether a
// failure code says the provenance was tampered with.
func c2paState(c *record.C2PA) (state string, tampered bool) {
	untrusted := false
	for _, code := range c.StatusCodes {
		switch {
		case strings.HasSuffix(code, ".mismatch"), code == "signingCredential.revoked", code == "claim.missing",
			code == "claimSignature.missing", strings.HasSuffix(code, ".malformed"):
			tampered = true
		case code == "signingCredential.untrusted":
			untrusted = true
		}
	}
	switch {
	case strings.EqualFold(c.ValidationState, "invalid"):
		return StateInvalid, true
	case tampered:
		return StateInvalid, true
	case strings.EqualFold(c.ValidationState, "trusted"):
		return StateTrusted, false
	case strings.EqualFold(c.ValidationState, "unverified"):
		return StateUnverified, false
	case strings.EqualFold(c.ValidationState, "valid"):
		if untrusted {
			return StateUntrusted, false
		}
		return StateValid, false
	}
	return StateUnknown, false
}

// iptcClass classifies the IPTC Iptc4xmpExt:DigitalSourceType.
func iptcClass(uri string) string {
	if uri == "" {
		return ""
	}
	switch term := dstTerm(uri); term {
	case "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia":
		return "ai"
	default:
		if _, _, capture := dstKind(term); capture {
			return "capture"
		}
	}
	return "other"
}
