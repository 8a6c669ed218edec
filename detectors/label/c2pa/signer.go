package c2pa

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The claim signature is a COSE_Sign1 (RFC 9052, CBOR tag 18): [protected header (a
// CBOR map in a byte string), unprotected header, payload (nil: detached, the claim),
// signature]. The signer's certificate chain is header 33 (x5chain); a time stamp
// (RFC 3161) is in the unprotected header under "sigTst" or "sigTst2". signerInfo reads
// the first certificate's organization and the time stamp's genTime, as found: neither
// the signature, the certificate nor the time stamp is validated.

const maxCertBytes = 64 << 10

type coseSign1 struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected map[any]any
	Payload     any
	Signature   []byte
}

type tstContainer struct {
	TstTokens []struct {
		Val []byte `cbor:"val"`
	} `cbor:"tstTokens"`
}

// signerInfo returns the signing certificate's subject organization and the signing
// time from the signature box's COSE_Sign1; "" for what is absent or unreadable.
func (s *Store) signerInfo(sig *Node) (org, when string, err error) {
	b, ok := sig.ContentBox("cbor")
	if !ok {
		return "", "", fmt.Errorf("signature box has no cbor content")
	}
	var tag cbor.RawTag
	if err := decodeCBOR(b, s.lim, &tag); err != nil || tag.Number != 18 {
		if err == nil {
			err = fmt.Errorf("CBOR tag %d, want 18 (COSE_Sign1)", tag.Number)
		}
		return "", "", err
	}
	var cs coseSign1
	if err := decodeCBOR(tag.Content, s.lim, &cs); err != nil {
		return "", "", fmt.Errorf("COSE_Sign1: %w", err)
	}
	var prot map[any]any
	if len(cs.Protected) > 0 {
		if err := decodeCBOR(cs.Protected, s.lim, &prot); err != nil {
			return "", "", fmt.Errorf("COSE protected header: %w", err)
		}
	}
	chain := header(prot, cs.Unprotected, uint64(33))
	if chain == nil {
		chain = header(prot, cs.Unprotected, "x5chain") // early writers used the name
	}
	var first []byte
	switch c := chain.(type) {
	case []byte:
		first = c
	case []any:
		if len(c) > 0 {
			first, _ = c[0].([]byte)
		}
	}
	if len(first) > 0 && len(first) <= maxCertBytes {
		if cert, err := x509.ParseCertificate(first); err == nil && len(cert.Subject.Organization) > 0 {
			org = cert.Subject.Organization[0]
		}
	}
	for _, key := range []string{"sigTst2", "sigTst"} {
		v := header(prot, cs.Unprotected, key)
		if v == nil {
			continue
		}
		raw, err := cbor.Marshal(v)
		if err != nil {
			continue
		}
		var tc tstContainer
		if decodeCBOR(raw, s.lim, &tc) != nil || len(tc.TstTokens) == 0 {
			continue
		}
		if t, ok := tstGenTime(tc.TstTokens[0].Val); ok {
			when = t.UTC().Format(time.RFC3339)
			break
		}
	}
	return org, when, nil
}

// header looks a COSE header label up in the protected, then the unprotected map.
func header(prot, unprot map[any]any, key any) any {
	for _, m := range []map[any]any{prot, unprot} {
		for k, v := range m {
			switch kk := k.(type) {
			case uint64:
				if want, ok := key.(uint64); ok && kk == want {
					return v
				}
			case int64:
				if want, ok := key.(uint64); ok && kk >= 0 && uint64(kk) == want {
					return v
				}
			case string:
				if want, ok := key.(string); ok && kk == want {
					return v
				}
			}
		}
	}
	return nil
}

// tstGenTime reads genTime from an RFC 3161 TimeStampToken: ContentInfo { contentType,
// [0] SignedData { version, digestAlgorithms, encapContentInfo { eContentType,
// [0] OCTET STRING TSTInfo } ... } }, TSTInfo { version, policy, messageImprint,
// serialNumber, genTime ... }.
func tstGenTime(der []byte) (time.Time, bool) {
	if len(der) == 0 || len(der) > 1<<20 {
		return time.Time{}, false
	}
	// Some writers store the whole TimeStampResp { status PKIStatusInfo, timeStampToken }:
	// its first element is a SEQUENCE, a ContentInfo's is an OID.
	var resp struct {
		Status asn1.RawValue
		Token  asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(der, &resp); err == nil && resp.Status.Tag == asn1.TagSequence && len(resp.Token.FullBytes) > 0 {
		der = resp.Token.FullBytes
	}
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return time.Time{}, false
	}
	var sd struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		EncapContentInfo struct {
			EContentType asn1.ObjectIdentifier
			EContent     asn1.RawValue `asn1:"explicit,optional,tag:0"`
		}
		Rest asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return time.Time{}, false
	}
	// EContent holds the [0] wrapper; its contents are the OCTET STRING with TSTInfo.
	var octets []byte
	if _, err := asn1.Unmarshal(sd.EncapContentInfo.EContent.Bytes, &octets); err != nil {
		if _, err := asn1.Unmarshal(sd.EncapContentInfo.EContent.FullBytes, &octets); err != nil {
			return time.Time{}, false
		}
	}
	var tst struct {
		Version        int
		Policy         asn1.ObjectIdentifier
		MessageImprint asn1.RawValue
		SerialNumber   asn1.RawValue
		GenTime        time.Time `asn1:"generalized"`
	}
	if _, err := asn1.Unmarshal(octets, &tst); err != nil {
		return time.Time{}, false
	}
	return tst.GenTime, true
}
