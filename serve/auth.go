package serve

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// MinTokenBytes is the shortest token accepted in a token file: shorter ones are guessable.
const MinTokenBytes = 16

// ErrNoTokens is returned by ParseTokens for a file with no token: with a token file
// configured nobody could call the API, which is never what was meant.
var ErrNoTokens = errors.New("serve: token file has no token")

// Tokens is the set of accepted bearer tokens. It is safe for concurrent use; Set swaps
// the whole set at once (token rotation: add the new token, reload, move the clients,
// remove the old one, reload). Only SHA-256 digests are kept, and every check compares
// against every token in constant time, so neither timing nor memory gives a token away.
type Tokens struct {
	set atomic.Pointer[[][sha256.Size]byte]
}

// NewTokens returns a set holding tokens (each at least MinTokenBytes).
func NewTokens(tokens ...string) (*Tokens, error) {
	t := &Tokens{}
	return t, t.Set(tokens)
}

// Set replaces the accepted tokens. On error the set is unchanged.
func (t *Tokens) Set(tokens []string) error {
	if len(tokens) == 0 {
		return ErrNoTokens
	}
	sums := make([][sha256.Size]byte, len(tokens))
	for i, tok := range tokens {
		if len(tok) < MinTokenBytes {
			return fmt.Errorf("serve: token %d is %d bytes, want at least %d", i+1, len(tok), MinTokenBytes)
		}
		sums[i] = sha256.Sum256([]byte(tok))
	}
	t.set.Store(&sums)
	return nil
}

// Len returns how many tokens are accepted.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	if s := t.set.Load(); s != nil {
		return len(*s)
	}
	return 0
}

// Valid reports whether tok is one of the tokens, in time independent of which one
// (or whether any) matched and of how much of it matched.
func (t *Tokens) Valid(tok string) bool {
	s := t.set.Load()
	if s == nil {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	ok := 0
	for i := range *s {
		ok |= subtle.ConstantTimeCompare(sum[:], (*s)[i][:])
	}
	return ok == 1
}

// LoadTokenFile reads a token file: one token a line; blank lines and lines starting
// with # are ignored; surrounding spaces are trimmed. Errors name the line, never the token.
func LoadTokenFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("serve: token file: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < MinTokenBytes {
			return nil, fmt.Errorf("serve: token file %s: line %d: token is %d bytes, want at least %d", path, n, len(line), MinTokenBytes)
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("serve: token file %s: line %d: a token has no spaces", path, n)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("serve: token file %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoTokens, path)
	}
	return out, nil
}
