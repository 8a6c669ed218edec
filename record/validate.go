package record

import (
	"strings"
	"unicode/utf8"
)

// Validate checks a record built in Go (not decoded) as Decode checks a decoded one:
// required fields, enums, ranges and sizes under lim (zero fields: DefaultLimits), and
// valid UTF-8 in its id and text. Like Decode it normalises case where the meaning is
// unambiguous (jurisdiction "cn" → "CN", c2pa.validation_state "valid" → "Valid"), in
// place. A rejected record yields a *DecodeError naming the field.
func (r *Record) Validate(lim Limits) error {
	for _, f := range [...]struct{ name, v string }{{"id", r.ID}, {"text", r.Text}} {
		if !utf8.ValidString(f.v) {
			return reject(ReasonInvalidUTF8, f.name, -1, "invalid UTF-8")
		}
	}
	return r.validate(lim.withDefaults())
}

// validate checks what JSON types alone cannot: required fields, enums, ranges, sizes.
// It normalises case where the meaning is unambiguous (jurisdiction "cn" → "CN").
func (r *Record) validate(lim Limits) error {
	if strings.TrimSpace(r.ID) == "" {
		return reject(ReasonMissingField, "id", -1, "id is required and must be a non-empty string")
	}
	if len(r.ID) > 256 {
		return reject(ReasonInvalidValue, "id", -1, "id is %d bytes, limit 256", len(r.ID))
	}
	if len(r.Text) > lim.MaxTextBytes {
		return reject(ReasonOversize, "text", -1, "text is %d bytes, limit %d", len(r.Text), lim.MaxTextBytes)
	}
	if r.Jurisdiction != "" {
		j := strings.ToUpper(r.Jurisdiction)
		if !validJurisdiction(j) {
			return reject(ReasonInvalidValue, "jurisdiction", -1, "%q is not a jurisdiction code (CN, EU, US, UK, US-CA, …)", r.Jurisdiction)
		}
		r.Jurisdiction = j
	}
	switch r.Role { // switches, not oneOf: these two are on every record's path
	case "", RoleProvider, RolePlatform:
	default:
		return reject(ReasonInvalidValue, "role", -1, "%q: want provider or platform", r.Role)
	}
	switch r.Modality {
	case "", Text, Image, Audio, Video, Virtual, Other:
	default:
		return reject(ReasonInvalidValue, "modality", -1, "%q: want text, image, audio, video, virtual or other", r.Modality)
	}
	if n := len(r.Labels.Implicit); n > lim.MaxImplicit {
		return reject(ReasonOversize, "labels.implicit", -1, "%d carriers, limit %d", n, lim.MaxImplicit)
	}
	if e := r.Labels.Explicit; e != nil {
		if !oneOf(e.Type, "", "text", "voice", "rhythm", "graphic") {
			return reject(ReasonInvalidValue, "labels.explicit.type", -1, "%q: want text, voice, rhythm or graphic", e.Type)
		}
		if !oneOf(e.Position, "", "start", "end", "middle", "edge", "corner", "interface", "surround") {
			return reject(ReasonInvalidValue, "labels.explicit.position", -1, "%q: want start, end, middle, edge, corner, interface or surround", e.Position)
		}
		if e.SizeRatio < 0 || e.SizeRatio > 1 {
			return reject(ReasonInvalidValue, "labels.explicit.size_ratio", -1, "%v: want a ratio in [0, 1]", e.SizeRatio)
		}
		if e.StartS < 0 {
			return reject(ReasonInvalidValue, "labels.explicit.start_s", -1, "%v: must not be negative", e.StartS)
		}
		if e.DurationS < 0 {
			return reject(ReasonInvalidValue, "labels.explicit.duration_s", -1, "%v: must not be negative", e.DurationS)
		}
	}
	if c := r.C2PA; c != nil && c.ValidationState != "" {
		switch strings.ToLower(c.ValidationState) {
		case "invalid":
			c.ValidationState = "Invalid"
		case "valid":
			c.ValidationState = "Valid"
		case "trusted":
			c.ValidationState = "Trusted"
		case "unverified":
			c.ValidationState = "Unverified"
		default:
			return reject(ReasonInvalidValue, "c2pa.validation_state", -1, "%q: want Invalid, Unverified, Valid or Trusted", c.ValidationState)
		}
	}
	if c := r.C2PA; c != nil {
		switch c.HardBinding {
		case "", "match", "mismatch", "unchecked", "missing":
		default:
			return reject(ReasonInvalidValue, "c2pa.hard_binding", -1, "%q: want match, mismatch, unchecked or missing", c.HardBinding)
		}
		if c.Manifests < 0 {
			return reject(ReasonInvalidValue, "c2pa.manifests", -1, "%d: must not be negative", c.Manifests)
		}
	}
	if m := r.Media; m != nil {
		switch {
		case m.Width < 0:
			return reject(ReasonInvalidValue, "media.width", -1, "%d: must not be negative", m.Width)
		case m.Height < 0:
			return reject(ReasonInvalidValue, "media.height", -1, "%d: must not be negative", m.Height)
		case m.DurationS < 0:
			return reject(ReasonInvalidValue, "media.duration_s", -1, "%v: must not be negative", m.DurationS)
		}
		if m.PDQQuality != nil && (*m.PDQQuality < 0 || *m.PDQQuality > 100) {
			return reject(ReasonInvalidValue, "media.pdq_quality", -1, "%d: want 0..100", *m.PDQQuality)
		}
	}
	for _, s := range [...]struct {
		name string
		v    *float64
	}{{"signals.ai_score", r.Signals.AIScore}, {"signals.deepfake_score", r.Signals.DeepfakeScore}} {
		if s.v != nil && (*s.v < 0 || *s.v > 1) {
			return reject(ReasonInvalidValue, s.name, -1, "%v: want a score in [0, 1]", *s.v)
		}
	}
	if d := r.Distribution; d != nil && !oneOf(d.Notice, "", "is", "possibly", "suspected", "none") {
		return reject(ReasonInvalidValue, "distribution.notice", -1, "%q: want is, possibly, suspected or none", d.Notice)
	}
	return nil
}

func oneOf(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// validJurisdiction accepts a 2–3 letter code with an optional subdivision: CN, EU, US-CA.
func validJurisdiction(j string) bool {
	code, sub, hasSub := strings.Cut(j, "-")
	if len(code) < 2 || len(code) > 3 || !isUpperAlnum(code, false) {
		return false
	}
	if hasSub && (len(sub) < 1 || len(sub) > 3 || !isUpperAlnum(sub, true)) {
		return false
	}
	return true
}

func isUpperAlnum(s string, digits bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || digits && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
