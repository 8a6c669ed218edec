package carrier

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa"
	"github.com/aigcwatch/aigcwatch/record"
)

// setRemote keeps the first remote manifest reference (cut to 2 KiB: it is a URL).
func (s *state) setRemote(v string) {
	if s.res.RemoteManifest == "" {
		if len(v) > 2048 {
			s.warnf("dcterms:provenance is %d bytes, cut to 2048", len(v))
			v = strings.ToValidUTF8(v[:2048], "")
		}
		s.res.RemoteManifest = strings.TrimSpace(v)
	}
}

// setStore keeps the manifest store found at file offset off. The first store wins; a
// second one is reported as a warning (C2PA allows one per asset).
func (s *state) setStore(jumbf []byte, off, extOff, extLen int, where string) {
	s.res.C2PA = true
	if s.store != nil {
		s.warnf("%s at offset %d: a second C2PA manifest store, ignored", where, off)
		return
	}
	s.store, s.storeWhere = jumbf, where
	s.storeOff, s.storeLen = extOff, extLen
}

// jpegAPP11 collects a JPEG XT APP11 segment: "JP", the box instance En (2 bytes), the
// packet sequence Z (4 bytes), then the JUMBF box; continuation packets (Z > 1) repeat
// the box header, which is dropped when joining.
func (s *state) jpegAPP11(body []byte, off, segOff, segLen int) {
	if len(body) < 16 || body[0] != 'J' || body[1] != 'P' {
		return
	}
	en, z := binary.BigEndian.Uint16(body[2:]), binary.BigEndian.Uint32(body[4:])
	if z == 1 || !s.app11Open {
		if !jumbC2PA(body[8:]) {
			return
		}
		if s.app11Open || s.store != nil {
			s.warnf("jpeg APP11 at offset %d: a second C2PA manifest store, ignored", off)
			return
		}
		s.app11Open, s.app11En, s.app11Seq = true, en, z
		s.app11 = append(s.app11[:0], body[8:]...)
		s.storeOff, s.storeLen = segOff, segLen
		s.res.C2PA = true
		return
	}
	if en != s.app11En {
		return
	}
	if z != s.app11Seq+1 {
		s.warnf("jpeg APP11 at offset %d: JUMBF packet %d follows packet %d", off, z, s.app11Seq)
	}
	s.app11Seq = z
	if segOff == s.storeOff+s.storeLen {
		s.storeLen += segLen
	}
	h := 8
	if be32(body[8:]) == 1 {
		h = 16
	}
	if len(body) < 8+h {
		return
	}
	if len(s.app11)+len(body)-8-h > s.lim.C2PA.MaxStoreBytes && s.lim.C2PA.MaxStoreBytes > 0 {
		s.warnf("jpeg APP11 at offset %d: manifest store larger than %d bytes", off, s.lim.C2PA.MaxStoreBytes)
		return
	}
	s.app11 = append(s.app11, body[8+h:]...)
}

// finishC2PA reads the manifest store found in data, if any.
func (s *state) finishC2PA(data []byte) {
	if s.app11Open && s.store == nil {
		s.store, s.storeWhere = s.app11, "jpeg/APP11"
	}
	if s.store == nil {
		return
	}
	rep, err := c2pa.Read(s.store, c2pa.Asset{Data: data, StoreOff: s.storeOff, StoreLen: s.storeLen}, s.lim.C2PA)
	if err != nil {
		s.res.ManifestErr = fmt.Errorf("%s: %w", s.storeWhere, err)
		s.warnf("%s: C2PA manifest store unreadable: %v", s.storeWhere, err)
		return
	}
	s.res.Manifest = rep
	for _, w := range rep.Warnings {
		s.warnf("c2pa: %s", w)
	}
}

// C2PARecord returns the record's c2pa object for this file: {present: false} when no
// store was found; the manifest's summary, validation state "Unverified" or "Invalid",
// when one was read; and present with state "Invalid" and status claim.malformed when a
// store was found but could not be parsed. The result is never "Valid" or "Trusted":
// nothing here validates signatures.
func (r *Result) C2PARecord() *record.C2PA {
	switch {
	case r.Manifest != nil:
		c := r.Manifest.Record()
		c.RemoteManifest = r.RemoteManifest
		return c
	case r.C2PA:
		return &record.C2PA{Present: true, ValidationState: c2pa.StateInvalid, StatusCodes: []string{"claim.malformed"},
			RemoteManifest: r.RemoteManifest}
	}
	return &record.C2PA{Present: false, RemoteManifest: r.RemoteManifest}
}

// bmffC2PA returns the manifest store in the payload of a C2PA uuid box (after the
// extended type): version and flags (4 bytes), a NUL-terminated purpose, and for the
// purpose "manifest" a 64-bit offset to the first auxiliary uuid box, then the store.
func bmffC2PA(d []byte) ([]byte, string, bool) {
	if len(d) < 5 {
		return nil, "", false
	}
	z := bytes.IndexByte(d[4:], 0)
	if z < 0 {
		return nil, "", false
	}
	purpose := string(d[4 : 4+z])
	rest := d[4+z+1:]
	if purpose != "manifest" {
		return nil, purpose, false
	}
	if len(rest) < 8 {
		return nil, purpose, false
	}
	return rest[8:], purpose, true
}
