// Package webhook signs and verifies HTTP requests the Standard Webhooks way
// (https://www.standardwebhooks.com): headers webhook-id, webhook-timestamp and
// webhook-signature, the signature "v1,<base64 HMAC-SHA256 over id.timestamp.body>" under a
// secret "whsec_<base64 key>". Several secrets may sign one request (space-separated
// signatures) and any one of them verifies it, which is how keys are rotated.
//
// It also holds the sending half of delivery (Post: one signed POST and what the answer
// means for a retry) and the receiving half (Inbox, behind `aigcwatch receive`).
// Left out: routing, grouping, retries (packages route and deliver).
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of Standard Webhooks.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is the replay window: a request whose timestamp is further than this
// from the receiver's clock, in either direction, is refused.
const DefaultTolerance = 5 * time.Minute

// secretPrefix starts every secret in its text form.
const secretPrefix = "whsec_"

// Errors of Verify. Each means the request must be refused with a 4xx.
var (
	// ErrMissingHeaders: one of the three webhook-* headers is absent or malformed.
	ErrMissingHeaders = errors.New("webhook: missing or malformed webhook-id, webhook-timestamp or webhook-signature")
	// ErrStale: the timestamp is outside the replay window (a replay, or a clock to fix).
	ErrStale = errors.New("webhook: timestamp outside the replay window")
	// ErrSignature: no signature matches any secret (wrong key, or the body was changed).
	ErrSignature = errors.New("webhook: no matching signature")
)

// Secret is one signing key.
type Secret []byte

// ParseSecret decodes "whsec_<base64>" (standard base64, padded or not).
func ParseSecret(s string) (Secret, error) {
	s = strings.TrimSpace(s)
	b64, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, errors.New("webhook: a secret is written whsec_<base64 key>")
	}
	k, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		k, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil {
		return nil, errors.New("webhook: secret: the part after whsec_ is not base64")
	}
	if len(k) < 16 {
		return nil, fmt.Errorf("webhook: secret: %d-byte key, want at least 16 (24 to 64 recommended)", len(k))
	}
	return Secret(k), nil
}

// String is the text form, whsec_<base64>.
func (s Secret) String() string { return secretPrefix + base64.StdEncoding.EncodeToString(s) }

// ParseSecrets reads one secret a line; blank lines and lines starting with # are skipped.
// Errors name the line, never the secret.
func ParseSecrets(b []byte) ([]Secret, error) {
	var out []Secret
	var errs []error
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := ParseSecret(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", i+1, err))
			continue
		}
		out = append(out, s)
	}
	if len(errs) == 0 && len(out) == 0 {
		errs = append(errs, errors.New("webhook: no secret in the file"))
	}
	return out, errors.Join(errs...)
}

// Sign returns the webhook-signature value for a message: "v1,<sig>" for each secret,
// space-separated.
func Sign(id string, ts time.Time, body []byte, secrets ...Secret) string {
	var b strings.Builder
	unix := strconv.FormatInt(ts.Unix(), 10)
	for i, s := range secrets {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac(s, id, unix, body)))
	}
	return b.String()
}

func mac(key Secret, id, unix string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(unix))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// SetHeaders signs body and sets the three headers on h.
func SetHeaders(h http.Header, id string, ts time.Time, body []byte, secrets ...Secret) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(id, ts, body, secrets...))
}

// Verify checks a request's headers and body against the secrets at time now, with the
// replay window tolerance (0: DefaultTolerance). It returns the webhook id.
func Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration, secrets ...Secret) (string, error) {
	id, unix, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || unix == "" || sigs == "" {
		return "", ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return id, ErrMissingHeaders
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return id, fmt.Errorf("%w: timestamp %d is %v from now", ErrStale, sec, d.Round(time.Second))
	}
	for _, s := range secrets {
		want := mac(s, id, unix, body)
		for _, sig := range strings.Fields(sigs) {
			v, b64, ok := strings.Cut(sig, ",")
			if !ok || v != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return id, nil
			}
		}
	}
	return id, ErrSignature
}
