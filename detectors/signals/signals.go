// Package signals turns upstream scores and flags (deepfake classifiers, face matchers,
// nudity and age estimators) and the traces that face-swap and voice-clone tools leave in
// media metadata into findings, so rules can be indexed on them like on any other
// finding (has("signal.deepfake")) instead of reading raw fields for every record.
//
// It judges nothing itself and computes no score: the scores come from upstream models.
package signals

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// Name is the detector's name in findings.
const Name = "signals"

// Categories of the findings this detector makes.
const (
	MinorIntimate      = "signal.minor_intimate"       // intimate and a minor suspected
	IntimateRealPerson = "signal.intimate_real_person" // intimate, depicts a real person, no consent recorded
	Deepfake           = "signal.deepfake"             // deepfake score at or above the threshold
	SynthesisTool      = "signal.synthesis_tool"       // a face-swap or voice-clone tool named in the metadata
	FaceSwap           = "signal.face_swap"            // upstream says a face was swapped
	VoiceClone         = "signal.voice_clone"          // upstream says a voice was cloned
)

// Categories lists every category, for lints and metrics.
var Categories = []string{MinorIntimate, IntimateRealPerson, Deepfake, SynthesisTool, FaceSwap, VoiceClone}

// DefaultDeepfakeThreshold is the deepfake score from which a finding is made.
const DefaultDeepfakeThreshold = 0.8

// Tools are face-swap, face-reenactment and voice-clone tools whose names appear in
// EXIF Software, encoder tags, C2PA claim generators and software agents. Names are
// matched on the metadata with everything but letters and digits removed and lower-cased;
// short names (under 6 characters) must stand as a whole word.
var Tools = []string{
	"DeepFaceLab", "DeepFaceLive", "FaceFusion", "faceswap", "SimSwap", "inswapper", "HifiFace", "roop",
	"Reface", "FaceMagic", "Swapface", "Wav2Lip", "LivePortrait", "SadTalker",
	"so-vits-svc", "RVC", "Retrieval-based-Voice-Conversion", "OpenVoice",
}

// Detector makes signal findings. It is safe for concurrent use and allocates only when
// it makes a finding.
type Detector struct {
	DeepfakeThreshold float64
	long              []string // normalised names of 6 characters or more: substring match
	short             []string // shorter names: whole-word match
	display           map[string]string
}

// New returns a detector with the default threshold and tool list.
func New() *Detector {
	d := &Detector{DeepfakeThreshold: DefaultDeepfakeThreshold, display: map[string]string{}}
	for _, t := range Tools {
		n := squash(t)
		d.display[n] = t
		if len(n) >= 6 {
			d.long = append(d.long, n)
		} else {
			d.short = append(d.short, n)
		}
	}
	return d
}

// Name implements detectors.Detector.
func (d *Detector) Name() string { return Name }

// Detect implements detectors.Detector.
func (d *Detector) Detect(_ context.Context, r *record.Record, res *detectors.Result) error {
	s := &r.Signals
	add := func(cat string, sev detectors.Severity, field, detail string) {
		res.Findings = append(res.Findings, detectors.Finding{Detector: Name, Category: cat, Severity: sev,
			Evidence: detectors.Evidence{Field: field, Detail: detail}})
	}
	if isTrue(s.Intimate) && isTrue(s.MinorSuspected) {
		add(MinorIntimate, detectors.Critical, "signals.minor_suspected", "intimate and minor_suspected")
	}
	if isTrue(s.Intimate) && isTrue(s.DepictsRealPerson) && !isTrue(s.Consent) {
		add(IntimateRealPerson, detectors.High, "signals.intimate", "intimate, depicts_real_person, no consent recorded")
	}
	if s.DeepfakeScore != nil && *s.DeepfakeScore >= d.DeepfakeThreshold {
		add(Deepfake, detectors.High, "signals.deepfake_score", "deepfake_score "+strconv.FormatFloat(*s.DeepfakeScore, 'f', -1, 64))
	}
	if isTrue(s.FaceSwap) {
		add(FaceSwap, detectors.Medium, "signals.face_swap", "face_swap")
	}
	if isTrue(s.VoiceClone) {
		add(VoiceClone, detectors.Medium, "signals.voice_clone", "voice_clone")
	}
	if r.Media != nil && r.Media.Software != "" {
		if tool := d.tool(r.Media.Software); tool != "" {
			add(SynthesisTool, detectors.Medium, "media.software", tool)
		}
	}
	if c := r.C2PA; c != nil {
		if tool := d.tool(c.ClaimGenerator); tool != "" {
			add(SynthesisTool, detectors.Medium, "c2pa.claim_generator", tool)
		}
		for i := range c.Actions {
			if tool := d.tool(c.Actions[i].SoftwareAgent); tool != "" {
				add(SynthesisTool, detectors.Medium, "c2pa.actions."+strconv.Itoa(i)+".software_agent", tool)
				break
			}
		}
	}
	return nil
}

// tool returns the display name of the first known tool named in s, or "". It does not
// allocate for metadata up to 256 bytes (longer metadata is checked on its first 256).
func (d *Detector) tool(s string) string {
	if s == "" {
		return ""
	}
	// flat: letters and digits only; words: the same with one space between words.
	var flatBuf, wordsBuf [256]byte
	flat, words := flatBuf[:0], wordsBuf[:0]
	gap := false
	for i := 0; i < len(s) && len(words) < len(wordsBuf)-1; i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if isAlnum(rune(c)) {
			if gap && len(words) > 0 {
				words = append(words, ' ')
			}
			gap = false
			flat = append(flat, c)
			words = append(words, c)
		} else {
			gap = true
		}
	}
	for _, n := range d.long {
		if bytes.Contains(flat, []byte(n)) {
			return d.display[n]
		}
	}
	for len(words) > 0 {
		w := words
		if i := bytes.IndexByte(words, ' '); i >= 0 {
			w, words = words[:i], words[i+1:]
		} else {
			words = nil
		}
		for _, n := range d.short {
			if string(w) == n {
				return d.display[n]
			}
		}
	}
	return ""
}

// squash lower-cases s and keeps only ASCII letters and digits.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if isAlnum(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isAlnum(r rune) bool { return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' }

func isTrue(b *bool) bool { return b != nil && *b }
