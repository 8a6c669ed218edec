// Package c2patest writes small C2PA manifest stores and signed JPEGs for tests: one
// manifest with a c2pa.actions assertion, optional ingredients and a c2pa.hash.data hard
// binding, signed with COSE_Sign1 (ES256) by a self-signed certificate made on the spot.
// The signature is real but its signer is on no trust list. It is test support, not a
// C2PA writer: sizes, labels and assertions are fixed to what the tests need.
package c2patest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"math/big"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Action is one action to write.
type Action struct {
	Action            string `cbor:"action"`
	DigitalSourceType string `cbor:"digitalSourceType,omitempty"`
	SoftwareAgent     string `cbor:"softwareAgent,omitempty"`
	When              string `cbor:"when,omitempty"`
}

// Manifest says what to write.
type Manifest struct {
	ClaimGenerator string   // v1 claim_generator, e.g. "ExampleGen/1.0"
	Actions        []Action // c2pa.actions
	Title          string
	InstanceID     string
}

// TrainedAlgorithmicMedia is the IPTC digital source type of generative AI output.
const TrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

var (
	iso = []byte{0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}
	em  = func() cbor.EncMode {
		m, err := cbor.CoreDetEncOptions().EncMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
)

func box(typ string, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
	return append(append(b, typ...), payload...)
}

// superbox is a jumb box with a description of type code (4 characters + ISO suffix) and
// label, then the content boxes.
func superbox(code, label string, content ...[]byte) []byte {
	desc := append(append([]byte(code), iso...), 0x03)
	desc = append(append(desc, label...), 0)
	b := box("jumd", desc)
	for _, c := range content {
		b = append(b, c...)
	}
	return box("jumb", b)
}

func mustCBOR(v any) []byte {
	b, err := em.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

type hashedURI struct {
	URL  string `cbor:"url"`
	Alg  string `cbor:"alg,omitempty"`
	Hash []byte `cbor:"hash"`
}

type exclusion struct {
	Start  uint64 `cbor:"start"`
	Length uint64 `cbor:"length"`
}

type dataHash struct {
	Exclusions []exclusion `cbor:"exclusions"`
	Name       string      `cbor:"name"`
	Alg        string      `cbor:"alg"`
	Hash       []byte      `cbor:"hash"`
	Pad        []byte      `cbor:"pad"`
}

// Signer holds a key and its self-signed certificate.
type Signer struct {
	key  *ecdsa.PrivateKey
	cert []byte
}

// NewSigner makes a P-256 key and a certificate for it, with the key usage and extended
// key usage C2PA asks of a signing certificate.
func NewSigner() (*Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "aigcwatch test signer", Organization: []string{"aigcwatch tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &Signer{key: key, cert: der}, nil
}

// sign returns a COSE_Sign1 (tag 18) over payload, detached.
func (s *Signer) sign(payload []byte) []byte {
	prot := mustCBOR(map[int]any{1: -7, 33: s.cert})
	tbs := mustCBOR([]any{"Signature1", prot, []byte{}, payload})
	d := sha256.Sum256(tbs)
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, d[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return mustCBOR(cbor.Tag{Number: 18, Content: []any{prot, map[string]any{"pad": make([]byte, 16)}, nil, sig}})
}

const manifestLabel = "urn:uuid:6a0c5b1e-2c1d-4e8f-9a7b-aigcwatch0001"

// store builds the manifest store; dh is the data-hash assertion's content.
func (m Manifest) store(s *Signer, dh dataHash) []byte {
	return m.storeWith(s, "c2pa.hash.data", dh)
}

// StoreWith returns a signed manifest store whose hard-binding assertion has the label
// bindingLabel (c2pa.hash.bmff.v2, c2pa.hash.boxes...) and the CBOR of binding as its
// content, for tests that compute a binding themselves.
func (m Manifest) StoreWith(s *Signer, bindingLabel string, binding any) []byte {
	return m.storeWith(s, bindingLabel, binding)
}

// storeWith builds the manifest store with the hard-binding assertion label and content.
func (m Manifest) storeWith(s *Signer, bindingLabel string, binding any) []byte {
	actions := superbox("cbor", "c2pa.actions", box("cbor", mustCBOR(map[string]any{"actions": m.Actions})))
	hash := superbox("cbor", bindingLabel, box("cbor", mustCBOR(binding)))
	assertions := superbox("c2as", "c2pa.assertions", actions, hash)
	ref := func(sb []byte, label string) hashedURI {
		sum := sha256.Sum256(sb[8:]) // the superbox payload, after its header
		return hashedURI{URL: "self#jumbf=c2pa.assertions/" + label, Hash: sum[:]}
	}
	claim := mustCBOR(map[string]any{
		"claim_generator": m.ClaimGenerator,
		"signature":       "self#jumbf=c2pa.signature",
		"assertions":      []hashedURI{ref(actions, "c2pa.actions"), ref(hash, bindingLabel)},
		"dc:format":       "image/jpeg",
		"dc:title":        m.Title,
		"instanceID":      m.InstanceID,
		"alg":             "sha256",
	})
	claimBox := superbox("c2cl", "c2pa.claim", box("cbor", claim))
	sigBox := superbox("c2cs", "c2pa.signature", box("cbor", s.sign(claim)))
	man := superbox("c2ma", manifestLabel, assertions, claimBox, sigBox)
	return superbox("c2pa", "c2pa", man)
}

// Store returns a manifest store whose data hash covers nothing (an empty hash): enough
// for a reader to parse; its hard binding does not match any file.
func (m Manifest) Store(s *Signer) []byte {
	return m.store(s, dataHash{Exclusions: []exclusion{}, Name: "jumbf manifest", Alg: "sha256", Hash: make([]byte, 32), Pad: []byte{}})
}

// app11 splits a store into JPEG XT APP11 segments (marker included).
func app11(store []byte) []byte {
	const maxPayload = 65533 - 8 - 8 // segment length field, JP/En/Z, repeated box header
	var out []byte
	first := store
	rest := []byte(nil)
	if len(store) > 65533-8 {
		first, rest = store[:65533-8], store[65533-8:]
	}
	seg := func(z uint32, body []byte) {
		out = append(out, 0xFF, 0xEB)
		out = binary.BigEndian.AppendUint16(out, uint16(2+8+len(body)))
		out = append(out, 'J', 'P', 0x02, 0x11)
		out = binary.BigEndian.AppendUint32(out, z)
		out = append(out, body...)
	}
	seg(1, first)
	for z := uint32(2); len(rest) > 0; z++ {
		n := min(len(rest), maxPayload)
		seg(z, append(slicesClone(store[:8]), rest[:n]...))
		rest = rest[n:]
	}
	return out
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// JPEG embeds a signed manifest in jpg (right after SOI) with a data hash over the whole
// file except the APP11 segments, and returns the new file.
func (m Manifest) JPEG(s *Signer, jpg []byte) ([]byte, error) {
	if len(jpg) < 2 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		return nil, fmt.Errorf("c2patest: not a JPEG")
	}
	const at = 2
	dh := dataHash{Name: "jumbf manifest", Alg: "sha256", Hash: make([]byte, 32), Pad: []byte{}}
	// The segment's length depends on the exclusion it declares: iterate until stable.
	length := 0
	for range 8 {
		dh.Exclusions = []exclusion{{Start: at, Length: uint64(length)}}
		seg := app11(m.store(s, dh))
		if len(seg) == length {
			break
		}
		length = len(seg)
	}
	dh.Exclusions = []exclusion{{Start: at, Length: uint64(length)}}
	out := append(append(slicesClone(jpg[:at]), make([]byte, length)...), jpg[at:]...)
	sum := sha256.Sum256(append(slicesClone(out[:at]), out[at+length:]...))
	dh.Hash = sum[:]
	seg := app11(m.store(s, dh))
	if len(seg) != length {
		return nil, fmt.Errorf("c2patest: segment size changed from %d to %d", length, len(seg))
	}
	copy(out[at:], seg)
	if !bytes.Equal(out[at+length:], jpg[at:]) {
		return nil, fmt.Errorf("c2patest: image bytes moved")
	}
	return out, nil
}

// UnsignedStore returns a manifest store that is the same on every call: its signature
// box holds an empty COSE_Sign1 and its data hash covers nothing, so a reader parses it
// and reports a hard-binding mismatch. For checked-in fixtures that only need a store.
func (m Manifest) UnsignedStore() []byte {
	dh := dataHash{Exclusions: []exclusion{}, Name: "jumbf manifest", Alg: "sha256", Hash: make([]byte, 32), Pad: []byte{}}
	actions := superbox("cbor", "c2pa.actions", box("cbor", mustCBOR(map[string]any{"actions": m.Actions})))
	hash := superbox("cbor", "c2pa.hash.data", box("cbor", mustCBOR(dh)))
	assertions := superbox("c2as", "c2pa.assertions", actions, hash)
	ref := func(sb []byte, label string) hashedURI {
		sum := sha256.Sum256(sb[8:])
		return hashedURI{URL: "self#jumbf=c2pa.assertions/" + label, Hash: sum[:]}
	}
	claim := mustCBOR(map[string]any{
		"claim_generator": m.ClaimGenerator,
		"signature":       "self#jumbf=c2pa.signature",
		"assertions":      []hashedURI{ref(actions, "c2pa.actions"), ref(hash, "c2pa.hash.data")},
		"alg":             "sha256",
	})
	sig := mustCBOR(cbor.Tag{Number: 18, Content: []any{[]byte{}, map[string]any{}, nil, []byte{}}})
	man := superbox("c2ma", manifestLabel, assertions, superbox("c2cl", "c2pa.claim", box("cbor", claim)),
		superbox("c2cs", "c2pa.signature", box("cbor", sig)))
	return superbox("c2pa", "c2pa", man)
}

// BoxMap is one entry of a c2pa.hash.boxes assertion.
type BoxMap struct {
	Names      []string       `cbor:"names"`
	Alg        string         `cbor:"alg,omitempty"`
	Hash       []byte         `cbor:"hash"`
	Excluded   *bool          `cbor:"excluded,omitempty"`
	Exclusions []BoxExclusion `cbor:"exclusions,omitempty"`
	Pad        []byte         `cbor:"pad"`
}

// BoxExclusion is a byte range inside one of a BoxMap's boxes.
type BoxExclusion struct {
	Start    uint64 `cbor:"start"`
	Length   uint64 `cbor:"length"`
	BoxIndex *int64 `cbor:"boxIndex,omitempty"`
}

// JPEGBoxHash embeds a signed manifest in jpg right after SOI with a box hash
// (c2pa.hash.boxes): one entry per marker segment (SOI, the C2PA store's APP11 segments
// as one excluded box, APPn, DQT, SOFn, DHT, SOS with its entropy-coded data, EOI), each
// with the SHA-256 of its bytes. edit, when not nil, may change the entries before they
// are signed (to write what a careless or hostile signer would). jpg must be a plain
// baseline JPEG (no restart markers, no APP11).
func (m Manifest) JPEGBoxHash(s *Signer, jpg []byte, edit func([]BoxMap) []BoxMap) ([]byte, error) {
	if len(jpg) < 2 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		return nil, fmt.Errorf("c2patest: not a JPEG")
	}
	sum := func(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
	yes := true
	boxes := []BoxMap{{Names: []string{"SOI"}, Alg: "sha256", Hash: sum(jpg[:2]), Pad: []byte{}},
		{Names: []string{"C2PA"}, Hash: []byte{0}, Excluded: &yes, Pad: []byte{}}}
	names := map[byte]string{0xC0: "SOF0", 0xC2: "SOF2", 0xC4: "DHT", 0xDB: "DQT", 0xDA: "SOS", 0xFE: "COM", 0xDD: "DRI"}
	for pos := 2; pos+2 <= len(jpg); {
		mk := jpg[pos+1]
		if mk == 0xD9 {
			boxes = append(boxes, BoxMap{Names: []string{"EOI"}, Alg: "sha256", Hash: sum(jpg[pos : pos+2]), Pad: []byte{}})
			break
		}
		name, ok := names[mk]
		if mk >= 0xE0 && mk <= 0xEF && mk != 0xEB {
			name, ok = fmt.Sprintf("APP%d", mk-0xE0), true
		}
		if jpg[pos] != 0xFF || !ok || pos+4 > len(jpg) {
			return nil, fmt.Errorf("c2patest: marker %#x at %d not written here", mk, pos)
		}
		end := pos + 2 + int(binary.BigEndian.Uint16(jpg[pos+2:]))
		if mk == 0xDA {
			for end < len(jpg)-1 && (jpg[end] != 0xFF || jpg[end+1] == 0) {
				end++
			}
		}
		if end > len(jpg) {
			return nil, fmt.Errorf("c2patest: segment at %d runs past the end", pos)
		}
		boxes = append(boxes, BoxMap{Names: []string{name}, Alg: "sha256", Hash: sum(jpg[pos:end]), Pad: []byte{}})
		pos = end
	}
	if edit != nil {
		boxes = edit(boxes)
	}
	seg := app11(m.storeWith(s, "c2pa.hash.boxes", map[string]any{"boxes": boxes}))
	return append(append(slicesClone(jpg[:2]), seg...), jpg[2:]...), nil
}
