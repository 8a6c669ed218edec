// Package c2pa reads C2PA manifest stores (C2PA Technical Specification 1.x and 2.x) in
// pure Go and checks their integrity without trust: it parses the JUMBF boxes, decodes
// the claims and assertions (CBOR, with github.com/fxamacker/cbor/v2), finds the active
// manifest, its claim generator, its actions (c2pa.actions and c2pa.actions.v2) with
// their digital source types, its ingredients and their own digital source types, and
// verifies what can be verified from the file alone:
//
//   - every hashed URI in the active manifest's claim (the assertion references) against
//     the bytes of the assertion it names (assertion.hashedURI.match / .mismatch), and
//     each ingredient's hashed URI against its manifest in the store
//     (ingredient.manifest.mismatch);
//   - the hard binding: a c2pa.hash.data assertion's hash of the asset bytes outside its
//     exclusion ranges (assertion.dataHash.match / .mismatch), a c2pa.hash.bmff (v1,
//     v2, v3) assertion's hash of an ISO BMFF file outside its excluded boxes, with its
//     Merkle trees over mdat blocks or over the fragments of a fragmented file
//     (assertion.bmffHash.*), a c2pa.hash.boxes assertion over a JPEG's, PNG's or GIF's
//     named boxes (assertion.boxesHash.*), or a c2pa.hash.collection.data assertion over
//     a ZIP document's members and central directory (assertion.collectionHash.*).
//
// What it leaves out, on purpose: the claim signature (COSE) and the signing
// certificate's trust are not validated (the certificate's organization and the time
// stamp's time are reported as found), box hashes of other formats or with exclusions
// inside boxes, collections that are not ZIP files, BMFF Merkle trees whose leaves are
// not in the file (a DASH init segment without its fragments) or are track chunks are
// reported as unchecked, and remote manifests are never fetched. A manifest whose integrity checks
// pass is therefore reported with the validation state "Unverified", never "Valid" or
// "Trusted": those need an upstream C2PA validator (docs/inspect.md).
//
// All sizes, counts and nesting depths are bounded by Limits; parsing never panics on any
// input (fuzzed) and never retains the input after returning except as substrings and
// subslices in the returned Store (copy the input if it will be reused).
package c2pa

import (
	"errors"
	"fmt"
)

// Limits bound the work done on one manifest store. The zero value of a field means its
// default.
type Limits struct {
	MaxStoreBytes  int // the manifest store (default 32 MiB)
	MaxDepth       int // JUMBF superbox nesting (default 8; C2PA needs 4)
	MaxBoxes       int // JUMBF boxes in the store (default 10000)
	MaxManifests   int // manifests in the store (default 128)
	MaxAssertions  int // assertion references per claim (default 1024)
	MaxActions     int // actions reported (default 256)
	MaxIngredients int // ingredients reported (default 256)
	MaxLabelBytes  int // a JUMBF label (default 1024)
	MaxCBORBytes   int // one CBOR assertion or claim (default 4 MiB)
	// MaxMerkleLeaves bounds the leaves of one BMFF Merkle tree (default 262144: 8 MiB
	// of SHA-256 leaf hashes); a larger tree is reported unchecked.
	MaxMerkleLeaves int
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	MaxStoreBytes:   32 << 20,
	MaxDepth:        8,
	MaxBoxes:        10000,
	MaxManifests:    128,
	MaxAssertions:   1024,
	MaxActions:      256,
	MaxIngredients:  256,
	MaxLabelBytes:   1024,
	MaxCBORBytes:    4 << 20,
	MaxMerkleLeaves: 1 << 18,
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxStoreBytes, DefaultLimits.MaxStoreBytes)
	def(&l.MaxDepth, DefaultLimits.MaxDepth)
	def(&l.MaxBoxes, DefaultLimits.MaxBoxes)
	def(&l.MaxManifests, DefaultLimits.MaxManifests)
	def(&l.MaxAssertions, DefaultLimits.MaxAssertions)
	def(&l.MaxActions, DefaultLimits.MaxActions)
	def(&l.MaxIngredients, DefaultLimits.MaxIngredients)
	def(&l.MaxLabelBytes, DefaultLimits.MaxLabelBytes)
	def(&l.MaxCBORBytes, DefaultLimits.MaxCBORBytes)
	def(&l.MaxMerkleLeaves, DefaultLimits.MaxMerkleLeaves)
	return l
}

// Errors. Parse returns an *Error wrapping one of these; match them with errors.Is.
var (
	// ErrTruncated: a JUMBF box ends past the end of its parent: the store was cut short
	// or a length field is corrupt.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: the JUMBF structure is not a C2PA manifest store (no store
	// description, a superbox without a description, a label without its terminator).
	ErrMalformed = errors.New("malformed")
	// ErrLimit: the store exceeds one of Limits (size, nesting, box count). Raise the
	// limit to read it.
	ErrLimit = errors.New("limit exceeded")
)

// Error says where in the manifest store a structure is bad.
type Error struct {
	Offset int64  // byte offset within the manifest store
	Msg    string // what is wrong
	Err    error  // ErrTruncated, ErrMalformed or ErrLimit
}

func (e *Error) Error() string {
	return fmt.Sprintf("c2pa: manifest store offset %d: %s: %v", e.Offset, e.Msg, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
