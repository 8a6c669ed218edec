// Package carrier reads GB 45438 implicit labels, the IPTC digital source type and the
// C2PA manifest store straight from media files and documents: PNG, JPEG, WebP, HEIF/AVIF,
// GIF, MP4/MOV, MP3, WAV, PDF and DOCX/XLSX/PPTX. It returns every implicit-label carrier
// it finds with the value exactly as found (not unescaped, not parsed): judging the label
// is the label detector's job, and a file with two carriers is itself a finding (GB 45438
// §6.1 c). A manifest store is handed to package c2pa, which reads and checks it without
// trust (Result.Manifest, Result.C2PARecord).
//
// What it reads, per format (docs/inspect.md has the details):
//
//   - PNG: tEXt, zTXt and iTXt chunks whose keyword contains "AIGC"; XMP in an iTXt (or
//     tEXt, zTXt) chunk with keyword "XML:com.adobe.xmp"; eXIf; caBX (C2PA); IHDR size.
//   - JPEG: XMP in APP1 ("http://ns.adobe.com/xap/1.0/\x00"); EXIF in APP1; APP11 JUMBF
//     packets of the C2PA store, joined; SOFn size. Reading stops at the first SOS.
//   - WebP: "XMP ", EXIF and C2PA chunks; VP8X, VP8 or VP8L size.
//   - HEIF/AVIF: XMP and Exif items (iinf, iloc, idat); ispe size; top-level C2PA and
//     XMP uuid boxes.
//   - GIF: the XMP and C2PA_GIF application extensions; comments holding an AIGC object.
//   - MP4/MOV: meta boxes with handler mdta under moov, moov/udta, moov/trak and
//     moov/trak/udta (keys + ilst); XMP in the XMP uuid box or udta/XMP_; the C2PA uuid box;
//     track size from tkhd, duration from mvhd.
//   - MP3: ID3v2.2/2.3/2.4 TXXX frames whose description contains "AIGC" (all four text
//     encodings, tag and frame unsynchronisation, compressed frames); GEOB with the C2PA
//     MIME type.
//   - WAV: RIFF chunk "AIGC", LIST/INFO sub-chunk "AIGC", XMP in _PMX, ID3 in "id3 ",
//     a "C2PA" chunk.
//   - PDF: XMP metadata streams, an /AIGC string in a dictionary (the information
//     dictionary), the C2PA embedded file.
//   - DOCX/XLSX/PPTX: custom properties named AIGC, core properties holding an AIGC
//     object, META-INF/content_credential.c2pa.
//   - EXIF (wherever found): ImageDescription, UserComment, XPComment holding an AIGC
//     JSON object; XMP: dcterms:provenance (a remote manifest reference, never fetched).
//
// What it leaves out: C2PA signature and trust validation, extended XMP (JPEG), FLAC,
// Ogg and other containers, PDF objects in object streams, and any carrier after a JPEG's
// first SOS or after an MP3's leading ID3 tag.
//
// Every length read from the file is checked against the bytes that remain before it is
// used, decompression is bounded by Limits.MaxInflate, and a file larger than
// Limits.MaxFileBytes is refused. Readers never panic on any input (fuzzed) and are safe
// for concurrent use; they do not retain the input (Raw strings and the Manifest report
// are copies).
package carrier

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa"
	"github.com/aigcwatch/aigcwatch/record"
)

// Format is a file format the package reads.
type Format string

// Formats.
const (
	PNG   Format = "png"
	JPEG  Format = "jpeg"
	MP4   Format = "mp4"
	MP3   Format = "mp3"
	WAV   Format = "wav"
	WebP  Format = "webp"
	PDF   Format = "pdf"
	GIF   Format = "gif"
	HEIF  Format = "heif"  // HEIF and AVIF
	OOXML Format = "ooxml" // DOCX, XLSX, PPTX
)

// Namespaces and identifiers the readers look for.
const (
	// NSTC260 is the XMP namespace of the TC260 implicit label (property AIGC).
	NSTC260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"
	// NSIPTCExt is the IPTC Extension namespace (property DigitalSourceType).
	NSIPTCExt = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
)

// Limits bound what a reader will do with one file. The zero value of a field means its
// default.
type Limits struct {
	// MaxFileBytes: larger files are refused with ErrTooLarge (default 256 MiB).
	MaxFileBytes int64
	// MaxLabels: carriers beyond this many are dropped with a warning (default 64, the
	// record's limit on labels.implicit).
	MaxLabels int
	// MaxValueBytes: a longer value is cut, at a UTF-8 boundary, with a warning; the label
	// detector then sees a truncated payload (default 64 KiB).
	MaxValueBytes int
	// MaxInflate: the largest decompressed zTXt, iTXt or ID3 frame (default 1 MiB).
	MaxInflate int
	// MaxXMLDepth: the deepest XMP element nesting scanned (default 64).
	MaxXMLDepth int
	// C2PA bounds the manifest store reader (zero fields: c2pa.DefaultLimits).
	C2PA c2pa.Limits
}

// DefaultLimits are the limits used when a field of Limits is zero.
var DefaultLimits = Limits{
	MaxFileBytes:  256 << 20,
	MaxLabels:     64,
	MaxValueBytes: 64 << 10,
	MaxInflate:    1 << 20,
	MaxXMLDepth:   64,
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultLimits.MaxFileBytes
	}
	if l.MaxLabels <= 0 {
		l.MaxLabels = DefaultLimits.MaxLabels
	}
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = DefaultLimits.MaxValueBytes
	}
	if l.MaxInflate <= 0 {
		l.MaxInflate = DefaultLimits.MaxInflate
	}
	if l.MaxXMLDepth <= 0 {
		l.MaxXMLDepth = DefaultLimits.MaxXMLDepth
	}
	return l
}

// Result is what a reader found in one file.
type Result struct {
	Format    Format
	MIME      string
	Modality  string // record.Image, record.Audio or record.Video
	Width     int    // pixels; 0 when unknown or not visual
	Height    int
	DurationS float64 // seconds; 0 when unknown

	// Labels lists every implicit-label carrier in file order, values as found.
	Labels []record.ImplicitLabel
	// IPTCDigitalSourceType is the first Iptc4xmpExt:DigitalSourceType found in XMP,
	// XML entities decoded and space trimmed (it is a URI, not a label payload).
	IPTCDigitalSourceType string
	// C2PA is true when a C2PA manifest store is embedded.
	C2PA bool
	// Manifest is the manifest store read and checked without trust (hard binding and
	// assertion hashes; no signature validation), nil when there is none or it could not
	// be parsed (ManifestErr says why). C2PARecord turns it into the record's c2pa object.
	Manifest    *c2pa.Report
	ManifestErr error
	// RemoteManifest is a remote manifest URL from XMP dcterms:provenance (not fetched).
	RemoteManifest string
	// Warnings are problems that did not stop the read: a dropped or cut carrier, an
	// encrypted ID3 frame, a RIFF size past the end of the file.
	Warnings []string
}

// Errors. Readers return a *FormatError wrapping ErrTruncated or ErrMalformed for a bad
// structure; match them with errors.Is.
var (
	// ErrUnknownFormat: the file is none of the formats read here. Nothing was looked at.
	ErrUnknownFormat = errors.New("carrier: unknown file format (want PNG, JPEG, WebP, HEIF/AVIF, GIF, PDF, DOCX/XLSX/PPTX, MP4/MOV, MP3 or WAV)")
	// ErrTooLarge: the file exceeds Limits.MaxFileBytes. Raise the limit to read it.
	ErrTooLarge = errors.New("carrier: file larger than the limit")
	// ErrTruncated: a structure (chunk, segment, box, frame) ends past the end of the file
	// or of its parent: the file was cut short or a length field is corrupt.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: a structure is invalid (bad signature, impossible length, bad
	// compressed data, exceeded nesting or decompression limit).
	ErrMalformed = errors.New("malformed")
)

// FormatError says where in the file a structure is bad.
type FormatError struct {
	Format Format
	Offset int64  // byte offset of the bad structure
	Msg    string // what is wrong, e.g. `tEXt chunk declares 4000 bytes, 12 remain`
	Err    error  // ErrTruncated or ErrMalformed
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("carrier: %s: offset %d: %s: %v", e.Format, e.Offset, e.Msg, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Sniff returns the format of data from its first bytes, or "" when unknown.
func Sniff(data []byte) Format {
	switch {
	case bytes.HasPrefix(data, []byte(pngSig)):
		return PNG
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return JPEG
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		return WAV
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP
	case bytes.HasPrefix(data, []byte("GIF89a")), bytes.HasPrefix(data, []byte("GIF87a")):
		return GIF
	case bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")):
		return PDF
	case isHEIF(data):
		return HEIF
	case isOOXML(data):
		return OOXML
	case len(data) >= 8 && isMP4Top(string(data[4:8])):
		return MP4
	case bytes.HasPrefix(data, []byte("ID3")),
		len(data) >= 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0 && data[1]&0x06 != 0: // MPEG audio frame sync, layer set
		return MP3
	}
	return ""
}

// Read sniffs the format of data and reads it. On a structural error it returns the
// partial result and a *FormatError; callers that need a complete read must treat any
// error as failure.
func Read(data []byte, lim Limits) (*Result, error) {
	f := Sniff(data)
	if f == "" {
		return nil, ErrUnknownFormat
	}
	return ReadFormat(f, data, lim)
}

// readers are the formats ReadFormat knows: the MIME type and modality of a file of that
// format, and its reader. PDF and DOCX are documents: text delivered as a file (the label
// detector's file-like text).
var readers = map[Format]struct {
	mime     string
	modality string
	read     func(*state, []byte) error
}{
	PNG:   {"image/png", record.Image, (*state).png},
	JPEG:  {"image/jpeg", record.Image, (*state).jpeg},
	MP4:   {"video/mp4", record.Video, (*state).mp4},
	MP3:   {"audio/mpeg", record.Audio, (*state).mp3},
	WAV:   {"audio/wav", record.Audio, (*state).wav},
	WebP:  {"image/webp", record.Image, (*state).webp},
	HEIF:  {"image/heif", record.Image, (*state).heif},
	OOXML: {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", record.Text, (*state).ooxml},
	GIF:   {"image/gif", record.Image, (*state).gif},
	PDF:   {"application/pdf", record.Text, (*state).pdf},
}

// ReadFormat reads data as format f.
func ReadFormat(f Format, data []byte, lim Limits) (*Result, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxFileBytes)
	}
	r, ok := readers[f]
	if !ok {
		return nil, ErrUnknownFormat
	}
	s := &state{lim: lim, res: &Result{Format: f, Labels: []record.ImplicitLabel{}, MIME: r.mime, Modality: r.modality}}
	err := r.read(s, data)
	s.finishC2PA(data)
	return s.res, err
}

// ReadFile reads the file at path, refusing it with ErrTooLarge when it is larger than
// maxBytes (0: DefaultLimits.MaxFileBytes), without reading more than maxBytes+1 bytes.
func ReadFile(path string, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultLimits.MaxFileBytes
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("carrier: %s is a directory", path)
	}
	if st.Size() > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, st.Size(), maxBytes)
	}
	return ReadAll(f, maxBytes)
}

// ReadAll reads r to the end, refusing more than maxBytes with ErrTooLarge.
func ReadAll(r io.Reader, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultLimits.MaxFileBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	return data, nil
}

// state is one read in progress.
type state struct {
	lim Limits
	res *Result

	store              []byte // the first manifest store found
	storeWhere         string
	storeOff, storeLen int // its carrier's extent in the file
	pdfObjs            map[int]pdfObj
	// JPEG APP11 packets of the C2PA store being joined.
	app11     []byte
	app11Open bool
	app11En   uint16
	app11Seq  uint32
}

func (s *state) errf(off int, sentinel error, format string, args ...any) error {
	return &FormatError{Format: s.res.Format, Offset: int64(off), Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

func (s *state) warnf(format string, args ...any) {
	if len(s.res.Warnings) < 32 {
		s.res.Warnings = append(s.res.Warnings, fmt.Sprintf(format, args...))
	}
}

// add records one carrier. raw is copied.
func (s *state) add(carrier, path string, raw []byte, off int64) {
	if len(s.res.Labels) >= s.lim.MaxLabels {
		s.warnf("%s at offset %d: dropped, more than %d implicit-label carriers", carrier, off, s.lim.MaxLabels)
		return
	}
	if len(raw) > s.lim.MaxValueBytes {
		n := s.lim.MaxValueBytes
		for n > 0 && !utf8.RuneStart(raw[n]) {
			n--
		}
		s.warnf("%s at offset %d: value is %d bytes, cut to %d", carrier, off, len(raw), n)
		raw = raw[:n]
	}
	s.res.Labels = append(s.res.Labels, record.ImplicitLabel{Carrier: carrier, Path: path, Raw: string(raw), Offset: off})
}

// setDST keeps the first IPTC digital source type.
func (s *state) setDST(v string) {
	if s.res.IPTCDigitalSourceType == "" {
		s.res.IPTCDigitalSourceType = v
	}
}

// latin1 returns b as UTF-8: unchanged when it already is valid UTF-8 (writers often put
// UTF-8 where the format says ISO 8859-1), else decoded from ISO 8859-1.
func latin1(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

func be16(b []byte) int { return int(b[0])<<8 | int(b[1]) }
func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
func le32(b []byte) uint32 {
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

// fits reports whether n bytes fit in the rem remaining.
func fits(n uint64, rem int) bool { return rem >= 0 && n <= uint64(rem) }
