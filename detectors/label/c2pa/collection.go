package c2pa

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/fxamacker/cbor/v2"
)

// Collection hashes (c2pa.hash.collection.data) of ZIP-based assets (DOCX, XLSX, PPTX,
// EPUB, ODF): each listed member's hash covers its whole local record (local file
// header, compressed data, data descriptor: "size" bytes from the local header), and
// zip_central_directory_hash covers the central directory and the end-of-central-
// directory record, skipping the CRC-32 of the manifest's own central directory entry
// (C2PA specification A.6.2.2; the reference implementation agrees). Collections that are
// not ZIP files (folders of files) and ZIP64 archives are left unchecked.

// zipManifestName is where the C2PA specification puts the store in a ZIP.
const zipManifestName = "META-INF/content_credential.c2pa"

type wireCollectionMember struct {
	URI  string  `cbor:"uri"`
	Hash []byte  `cbor:"hash"`
	Size *uint64 `cbor:"size"`
}

type wireCollection struct {
	URIs cbor.RawMessage `cbor:"uris"` // an array of members (1.x) or a map path → member
	Alg  string          `cbor:"alg"`
	CD   []byte          `cbor:"zip_central_directory_hash"`
}

type zipEntry struct {
	name    string
	cdOff   int // offset of its central directory header
	local   int // offset of its local file header
	flags   uint16
	compLen uint32
}

// zipDirectory reads the end-of-central-directory record and the central directory.
func zipDirectory(d []byte, maxEntries int) (entries []zipEntry, cdOff, end int, err error) {
	if len(d) < 22 {
		return nil, 0, 0, fmt.Errorf("shorter than an end-of-central-directory record")
	}
	from := max(0, len(d)-22-65535)
	eocd := bytes.LastIndex(d[from:], []byte("PK\x05\x06"))
	if eocd < 0 {
		return nil, 0, 0, fmt.Errorf("no end-of-central-directory record")
	}
	eocd += from
	if len(d)-eocd < 22 {
		return nil, 0, 0, fmt.Errorf("end-of-central-directory record cut")
	}
	le := binary.LittleEndian
	total := int(le.Uint16(d[eocd+10:]))
	cdSize, cdStart := le.Uint32(d[eocd+12:]), le.Uint32(d[eocd+16:])
	comment := int(le.Uint16(d[eocd+20:]))
	if total == 0xFFFF || cdStart == 0xFFFFFFFF || cdSize == 0xFFFFFFFF {
		return nil, 0, 0, errUnchecked("ZIP64 archive")
	}
	end = eocd + 22 + comment
	if end > len(d) || uint64(cdStart)+uint64(cdSize) > uint64(eocd) {
		return nil, 0, 0, fmt.Errorf("central directory outside the file")
	}
	if total > maxEntries {
		return nil, 0, 0, fmt.Errorf("%d entries, limit %d", total, maxEntries)
	}
	p := int(cdStart)
	for range total {
		if p+46 > eocd || le.Uint32(d[p:]) != 0x02014b50 {
			return nil, 0, 0, fmt.Errorf("bad central directory header at %d", p)
		}
		n, e, c := int(le.Uint16(d[p+28:])), int(le.Uint16(d[p+30:])), int(le.Uint16(d[p+32:]))
		if p+46+n+e+c > eocd {
			return nil, 0, 0, fmt.Errorf("central directory header at %d cut", p)
		}
		entries = append(entries, zipEntry{name: string(d[p+46 : p+46+n]), cdOff: p, local: int(le.Uint32(d[p+42:])),
			flags: le.Uint16(d[p+8:]), compLen: le.Uint32(d[p+20:])})
		p += 46 + n + e + c
	}
	return entries, int(cdStart), end, nil
}

// collectionHash verifies a collection hash against a ZIP asset: nil when every
// member and the central directory match.
func (s *Store) collectionHash(n *Node, claimAlg string, asset []byte) error {
	b, ok := n.ContentBox("cbor")
	var w wireCollection
	if !ok || decodeCBOR(b, s.lim, &w) != nil {
		return fmt.Errorf("undecodable")
	}
	alg := cmpOr(w.Alg, claimAlg)
	if newHash(alg) == nil {
		return fmt.Errorf("hash algorithm %q is not supported", alg)
	}
	if !bytes.HasPrefix(asset, []byte("PK\x03\x04")) {
		return errUnchecked("a collection that is not a ZIP file")
	}
	members, err := collectionMembers(w.URIs, s.lim)
	if err != nil {
		return err
	}
	entries, cdOff, end, err := zipDirectory(asset, s.lim.MaxBoxes)
	if err != nil {
		return err
	}
	byName := map[string]zipEntry{}
	for _, e := range entries {
		byName[e.name] = e
	}
	for _, m := range members {
		e, ok := byName[m.URI]
		if !ok {
			return fmt.Errorf("member %q is not in the archive", m.URI)
		}
		size := uint64(0)
		if m.Size != nil {
			size = *m.Size
		} else {
			size = localRecordSize(asset, e)
		}
		if e.local < 0 || uint64(e.local)+size > uint64(len(asset)) {
			return fmt.Errorf("member %q: record outside the file", m.URI)
		}
		h := newHash(alg)
		h.Write(asset[e.local : uint64(e.local)+size])
		if !bytes.Equal(h.Sum(nil), m.Hash) {
			return fmt.Errorf("member %q: hash differs", m.URI)
		}
	}
	if len(w.CD) == 0 {
		return fmt.Errorf("no zip_central_directory_hash")
	}
	h := newHash(alg)
	skip := -1
	if e, ok := byName[zipManifestName]; ok {
		skip = e.cdOff + 16 // its CRC-32
	}
	if skip >= cdOff && skip+4 <= end {
		h.Write(asset[cdOff:skip])
		h.Write(asset[skip+4 : end])
	} else {
		h.Write(asset[cdOff:end])
	}
	if !bytes.Equal(h.Sum(nil), w.CD) {
		return fmt.Errorf("central directory hash differs")
	}
	return nil
}

// collectionMembers decodes "uris": an array of {uri, hash, size} or a map from path to
// {hash, size}, in a stable order.
func collectionMembers(raw cbor.RawMessage, lim Limits) ([]wireCollectionMember, error) {
	var list []wireCollectionMember
	if err := decodeCBOR(raw, lim, &list); err == nil {
		return list, nil
	}
	var m map[string]wireCollectionMember
	if err := decodeCBOR(raw, lim, &m); err != nil {
		return nil, fmt.Errorf("uris: %w", err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		v := m[k]
		v.URI = k
		list = append(list, v)
	}
	return list, nil
}

// localRecordSize is the size of a member's local record: header, name, extra field,
// compressed data and, when flag bit 3 is set, the data descriptor.
func localRecordSize(d []byte, e zipEntry) uint64 {
	p := e.local
	if p < 0 || p+30 > len(d) {
		return 0
	}
	le := binary.LittleEndian
	size := uint64(30) + uint64(le.Uint16(d[p+26:])) + uint64(le.Uint16(d[p+28:])) + uint64(e.compLen)
	if e.flags&0x08 != 0 {
		q := uint64(p) + size
		if q+4 <= uint64(len(d)) && le.Uint32(d[q:]) == 0x08074b50 {
			size += 16
		} else {
			size += 12
		}
	}
	return size
}
