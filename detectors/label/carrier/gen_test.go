package carrier

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa/c2patest"
)

// The test files under testdata/ are written by this generator:
//
//	go test ./detectors/label/carrier -run TestGenerate -update
//
// Without -update, TestGenerate checks that the checked-in files are what the generator
// makes, so the files and the code that describes them cannot drift apart.
var update = flag.Bool("update", false, "rewrite testdata/ from the generator")

// testLabel is a well-formed GB 45438 Annex E label, wrapped in {"AIGC":…}.
const testLabel = `{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U00000","ProduceID":"a1","ReservedCode1":"","ContentPropagator":"001191110108MA01KP2T5U00000","PropagateID":"a1","ReservedCode2":""}}`

// testDST is the IPTC digital source type of fully AI-generated media.
const testDST = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

// xmlAttrEscaped is testLabel as an XMP writer puts it in a double-quoted attribute.
var xmlAttrEscaped = strings.ReplaceAll(testLabel, `"`, "&quot;")

func xmpPacket(desc string) []byte {
	return []byte("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n" +
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n" +
		" <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  " + desc + "\n </rdf:RDF>\n" +
		"</x:xmpmeta>\n<?xpacket end=\"w\"?>")
}

// xmpAttr: the label and the source type as attributes (the common form).
var xmpAttr = xmpPacket(`<rdf:Description rdf:about="" xmlns:TC260="` + NSTC260 + `" xmlns:Iptc4xmpExt="` + NSIPTCExt + `" TC260:AIGC="` + xmlAttrEscaped + `" Iptc4xmpExt:DigitalSourceType="` + testDST + `"/>`)

// xmpElem: element form, under another prefix bound to the TC260 namespace.
var xmpElem = xmpPacket(`<rdf:Description rdf:about="" xmlns:aigc="` + NSTC260 + `" xmlns:Iptc4xmpExt="` + NSIPTCExt + `">
   <aigc:AIGC>` + testLabel + `</aigc:AIGC>
   <Iptc4xmpExt:DigitalSourceType rdf:resource="` + testDST + `"/>
  </rdf:Description>`)

// xmpTwo: the same label as an attribute and, in a second description, as an element.
var xmpTwo = xmpPacket(`<rdf:Description rdf:about="" xmlns:TC260="` + NSTC260 + `" TC260:AIGC="` + xmlAttrEscaped + `"/>
  <rdf:Description rdf:about="" xmlns:TC260="` + NSTC260 + `"><TC260:AIGC>` + testLabel + `</TC260:AIGC></rdf:Description>`)

// xmpNone: XMP without label or source type.
var xmpNone = xmpPacket(`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>image/png</dc:format></rdf:Description>`)

// c2paJUMBF is a small, deterministic C2PA manifest store (c2patest.UnsignedStore):
// one manifest whose action says trainedAlgorithmicMedia; its hard binding matches no file.
func c2paJUMBF() []byte {
	return c2patest.Manifest{ClaimGenerator: "aigcwatch-testdata/1", Actions: []c2patest.Action{
		{Action: "c2pa.created", DigitalSourceType: testDST}}}.UnsignedStore()
}

// c2paBMFF is the payload of a C2PA uuid box: version and flags, the purpose
// "manifest", the offset of the first auxiliary box (none: 0), then the store.
func c2paBMFF() []byte {
	return append(append([]byte{0, 0, 0, 0}, "manifest\x00\x00\x00\x00\x00\x00\x00\x00\x00"...), c2paJUMBF()...)
}

func zlibBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.NoCompression) // stored blocks: stable across Go versions
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// --- PNG -------------------------------------------------------------------------------

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngFile is an 8x6 grey image with the given chunks between IHDR and IDAT.
func pngFile(chunks ...[]byte) []byte {
	const w, h = 8, 6
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit greyscale
	var raw []byte
	for y := range h {
		raw = append(raw, 0)
		for x := range w {
			raw = append(raw, byte(x*32+y*8))
		}
	}
	out := append([]byte(pngSig), pngChunk("IHDR", ihdr)...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	out = append(out, pngChunk("IDAT", zlibBytes(raw))...)
	return append(out, pngChunk("IEND", nil)...)
}

func pngText(key, text string) []byte { return pngChunk("tEXt", []byte(key+"\x00"+text)) }
func pngZText(key, text string) []byte {
	return pngChunk("zTXt", append([]byte(key+"\x00\x00"), zlibBytes([]byte(text))...))
}
func pngIText(key string, text []byte, compress bool) []byte {
	d := []byte(key + "\x00")
	if compress {
		d = append(append(d, 1, 0), "\x00\x00"...)
		return pngChunk("iTXt", append(d, zlibBytes(text)...))
	}
	d = append(append(d, 0, 0), "\x00\x00"...)
	return pngChunk("iTXt", append(d, text...))
}

// --- JPEG ------------------------------------------------------------------------------

// jpegBase is an 8x6 baseline JPEG from image/jpeg.
func jpegBase() []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 6))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 5)
	}
	img.Set(0, 0, color.Gray{Y: 255})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func jpegSeg(marker byte, body []byte) []byte {
	b := []byte{0xFF, marker}
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)+2))
	return append(b, body...)
}

func jpegXMP(pkt []byte) []byte { return jpegSeg(0xE1, append([]byte(xmpSig), pkt...)) }

// jpegFile inserts segments right after SOI.
func jpegFile(segs ...[]byte) []byte {
	base := jpegBase()
	out := slices.Clone(base[:2])
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, base[2:]...)
}

// --- MP4 -------------------------------------------------------------------------------

func bmffBox(typ string, payload ...[]byte) []byte {
	n := 8
	for _, p := range payload {
		n += len(p)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(n))
	b = append(b, typ...)
	for _, p := range payload {
		b = append(b, p...)
	}
	return b
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// mdtaMeta is a meta box with handler mdta, the keys and one UTF-8 value per key.
func mdtaMeta(fullBox bool, kv ...string) []byte {
	hdlr := bmffBox("hdlr", u32(0), u32(0), []byte("mdta"), make([]byte, 12), []byte{0})
	keys := [][]byte{u32(0), u32(uint32(len(kv) / 2))}
	var items [][]byte
	for i := 0; i+1 < len(kv); i += 2 {
		keys = append(keys, u32(uint32(8+len(kv[i]))), []byte("mdta"), []byte(kv[i]))
		data := bmffBox("data", u32(1), u32(0), []byte(kv[i+1]))
		items = append(items, bmffBox(string(u32(uint32(i/2+1))), data))
	}
	var vf []byte
	if fullBox {
		vf = u32(0)
	}
	return bmffBox("meta", vf, hdlr, bmffBox("keys", keys...), bmffBox("ilst", items...))
}

// mp4File is a one-track 64x48 video of 2 s with extra boxes in moov and after it.
func mp4File(moovExtra [][]byte, top ...[]byte) []byte {
	ftyp := bmffBox("ftyp", []byte("isom"), u32(0x200), []byte("isomiso2mp41"))
	mvhd := bmffBox("mvhd", []byte{0, 0, 0, 0}, u32(0), u32(0), u32(1000), u32(2000), make([]byte, 80))
	tkhd := bmffBox("tkhd", []byte{0, 0, 0, 3}, make([]byte, 72), u32(64<<16), u32(48<<16))
	hdlr := bmffBox("hdlr", u32(0), u32(0), []byte("vide"), make([]byte, 12), []byte("video\x00"))
	trak := bmffBox("trak", tkhd, bmffBox("mdia", hdlr))
	moov := bmffBox("moov", append([][]byte{mvhd, trak}, moovExtra...)...)
	out := append(ftyp, moov...)
	for _, t := range top {
		out = append(out, t...)
	}
	return append(out, bmffBox("mdat", make([]byte, 16))...)
}

// --- MP3 -------------------------------------------------------------------------------

func syncsafeBytes(n int) []byte {
	return []byte{byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
}

func id3Frame(ver byte, id string, body []byte) []byte {
	b := []byte(id)
	if ver == 4 {
		b = append(b, syncsafeBytes(len(body))...)
	} else {
		b = append(b, u32(uint32(len(body)))...)
	}
	return append(append(b, 0, 0), body...)
}

func txxx(ver, enc byte, desc, val string) []byte {
	body := []byte{enc}
	switch enc {
	case 1: // UTF-16 little-endian with BOM, as most writers do
		body = append(body, utf16LE(desc)...)
		body = append(body, 0, 0)
		body = append(body, utf16LE(val)...)
	default:
		body = append(append(append(body, desc...), 0), val...)
	}
	return id3Frame(ver, "TXXX", body)
}

func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, r := range s { // ASCII test strings only
		b = append(b, byte(r), 0)
	}
	return b
}

// id3Tag builds an ID3v2 tag with 16 bytes of padding.
func id3Tag(ver, flags byte, frames ...[]byte) []byte {
	var body []byte
	for _, f := range frames {
		body = append(body, f...)
	}
	body = append(body, make([]byte, 16)...)
	if flags&0x80 != 0 {
		body = unsyncBytes(body)
	}
	h := append([]byte{'I', 'D', '3', ver, 0, flags}, syncsafeBytes(len(body))...)
	return append(h, body...)
}

func unsyncBytes(b []byte) []byte {
	var out []byte
	for i, c := range b {
		out = append(out, c)
		if c == 0xFF && (i+1 == len(b) || b[i+1] >= 0xE0 || b[i+1] == 0) {
			out = append(out, 0)
		}
	}
	return out
}

// mpegFrame is one silent MPEG-1 Layer III frame, 32 kbit/s, 48 kHz, mono (96 bytes).
func mpegFrame() []byte {
	f := make([]byte, 96)
	copy(f, []byte{0xFF, 0xFB, 0x14, 0xC4})
	return f
}

// --- WAV -------------------------------------------------------------------------------

func riffChunk(id string, data []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// wavFile is 0.05 s of 8 kHz mono 16-bit silence with extra chunks before data.
func wavFile(extra ...[]byte) []byte {
	fmtc := binary.LittleEndian.AppendUint16(nil, 1) // PCM
	fmtc = binary.LittleEndian.AppendUint16(fmtc, 1)
	fmtc = binary.LittleEndian.AppendUint32(fmtc, 8000)
	fmtc = binary.LittleEndian.AppendUint32(fmtc, 16000)
	fmtc = binary.LittleEndian.AppendUint16(fmtc, 2)
	fmtc = binary.LittleEndian.AppendUint16(fmtc, 16)
	body := append([]byte("WAVE"), riffChunk("fmt ", fmtc)...)
	for _, e := range extra {
		body = append(body, e...)
	}
	body = append(body, riffChunk("data", make([]byte, 800))...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

func infoList(kv ...string) []byte {
	d := []byte("INFO")
	for i := 0; i+1 < len(kv); i += 2 {
		d = append(d, riffChunk(kv[i], []byte(kv[i+1]+"\x00"))...)
	}
	return riffChunk("LIST", d)
}

// --- WebP, EXIF -------------------------------------------------------------------------

// webpFile is a lossless 64x48 WebP header (VP8L: signature, 14-bit width-1 and
// height-1; no image data: nothing here decodes pixels) followed by chunks.
func webpFile(chunks ...[]byte) []byte {
	v := uint32(63) | uint32(47)<<14
	body := append([]byte("WEBP"), riffChunk("VP8L", append([]byte{0x2F}, binary.LittleEndian.AppendUint32(nil, v)...))...)
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// exifTIFF is a little-endian TIFF with IFD0 holding ImageDescription and a pointer to
// an Exif IFD holding UserComment (ASCII character code), either may be "".
func exifTIFF(description, comment string) []byte {
	le := binary.LittleEndian
	t := []byte("II*\x00")
	t = le.AppendUint32(t, 8)
	// IFD0 at 8: two entries, next IFD 0. Exif IFD at 8+2+24+4 = 38: one entry.
	const ifd0, exifIFD = 8, 38
	data := exifIFD + 2 + 12 + 4 // where the values go
	desc := append([]byte(description), 0)
	com := append([]byte("ASCII\x00\x00\x00"), comment...)
	t = le.AppendUint16(t, 2)
	t = le.AppendUint16(t, 0x010E)
	t = le.AppendUint16(t, 2)
	t = le.AppendUint32(t, uint32(len(desc)))
	t = le.AppendUint32(t, uint32(data))
	t = le.AppendUint16(t, 0x8769)
	t = le.AppendUint16(t, 4)
	t = le.AppendUint32(t, 1)
	t = le.AppendUint32(t, exifIFD)
	t = le.AppendUint32(t, 0)
	t = le.AppendUint16(t, 1)
	t = le.AppendUint16(t, 0x9286)
	t = le.AppendUint16(t, 7)
	t = le.AppendUint32(t, uint32(len(com)))
	t = le.AppendUint32(t, uint32(data+len(desc)))
	t = le.AppendUint32(t, 0)
	_ = ifd0
	return append(append(t, desc...), com...)
}

// --- HEIF -------------------------------------------------------------------------------

// heifFile is a HEIF (brand heic, or avif) with a 64x48 ispe and items: an XMP item
// (mime application/rdf+xml) and an Exif item, when given, located in mdat by iloc
// (version 0, 4-byte offsets and lengths), plus top-level boxes after mdat.
func heifFile(brand string, xmp, exif []byte, extra ...[]byte) []byte {
	ftyp := bmffBox("ftyp", []byte(brand+"\x00\x00\x00\x00mif1"+brand))
	full := func(typ string, v byte, payload []byte) []byte {
		return bmffBox(typ, append([]byte{v, 0, 0, 0}, payload...))
	}
	infe := func(id uint16, typ, mime string) []byte {
		p := binary.BigEndian.AppendUint16(nil, id)
		p = append(p, 0, 0)
		p = append(p, typ...)
		p = append(p, 0) // empty item name
		if mime != "" {
			p = append(append(p, mime...), 0)
		}
		return full("infe", 2, p)
	}
	type item struct {
		id   uint16
		data []byte
	}
	var items []item
	infes := [][]byte{infe(1, "hvc1", "")}
	if xmp != nil {
		infes = append(infes, infe(2, "mime", "application/rdf+xml"))
		items = append(items, item{2, xmp})
	}
	if exif != nil {
		infes = append(infes, infe(3, "Exif", ""))
		items = append(items, item{3, append([]byte{0, 0, 0, 0}, exif...)})
	}
	iinf := full("iinf", 0, append(binary.BigEndian.AppendUint16(nil, uint16(len(infes))), bytes.Join(infes, nil)...))
	iloc := func(base int) []byte {
		p := []byte{0x44, 0x00} // offset_size 4, length_size 4, base_offset_size 0
		p = binary.BigEndian.AppendUint16(p, uint16(len(items)))
		off := base
		for _, it := range items {
			p = binary.BigEndian.AppendUint16(p, it.id)
			p = append(p, 0, 0) // data reference index
			p = binary.BigEndian.AppendUint16(p, 1)
			p = binary.BigEndian.AppendUint32(p, uint32(off))
			p = binary.BigEndian.AppendUint32(p, uint32(len(it.data)))
			off += len(it.data)
		}
		return full("iloc", 0, p)
	}
	ispe := full("ispe", 0, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 64), 48))
	iprp := bmffBox("iprp", bmffBox("ipco", ispe))
	hdlr := full("hdlr", 0, append(append(make([]byte, 4), "pict"...), make([]byte, 13)...))
	meta := func(base int) []byte {
		return full("meta", 0, bytes.Join([][]byte{hdlr, iinf, iloc(base), iprp}, nil))
	}
	var mdatPayload []byte
	for _, it := range items {
		mdatPayload = append(mdatPayload, it.data...)
	}
	base := len(ftyp) + len(meta(0)) + 8
	out := append(append(ftyp, meta(base)...), bmffBox("mdat", mdatPayload)...)
	for _, e := range extra {
		out = append(out, e...)
	}
	return out
}

// --- OOXML -------------------------------------------------------------------------------

// docxFile is a minimal DOCX package (stored, not deflated: stable bytes) with extra
// parts, name then content.
func docxFile(method uint16, parts ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	all := append([]string{
		"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>`,
	}, parts...)
	for i := 0; i+1 < len(all); i += 2 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: all[i], Method: method})
		if err != nil {
			panic(err)
		}
		w.Write([]byte(all[i+1]))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func customProps(name, value string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">` +
		`<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="` + name + `"><vt:lpwstr>` + xmlEscape(value) + `</vt:lpwstr></property></Properties>`
}

func coreProps(description string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">` +
		`<dc:title>report</dc:title><dc:description>` + xmlEscape(description) + `</dc:description></cp:coreProperties>`
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// --- GIF --------------------------------------------------------------------------------

// gifFile is a 64x48 GIF from the standard library's encoder with exts inserted before
// the image.
func gifFile(exts ...[]byte) []byte {
	img := image.NewPaletted(image.Rect(0, 0, 64, 48), color.Palette{color.Black, color.White})
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	at := 13
	if b[10]&0x80 != 0 {
		at += 3 << (int(b[10]&7) + 1)
	}
	out := slices.Clone(b[:at])
	for _, e := range exts {
		out = append(out, e...)
	}
	return append(out, b[at:]...)
}

// gifBlocks splits data into sub-blocks with the terminator.
func gifBlocks(data []byte) []byte {
	var out []byte
	for len(data) > 0 {
		n := min(255, len(data))
		out = append(append(out, byte(n)), data[:n]...)
		data = data[n:]
	}
	return append(out, 0)
}

// gifXMP is the XMP application extension: the packet raw, then the magic trailer.
func gifXMP(pkt []byte) []byte {
	b := append([]byte{0x21, 0xFF, 11}, "XMP DataXMP"...)
	b = append(b, pkt...)
	b = append(b, 0x01)
	for i := 0xFF; i >= 0; i-- {
		b = append(b, byte(i))
	}
	return append(b, 0x00)
}

func gifComment(text string) []byte { return append([]byte{0x21, 0xFE}, gifBlocks([]byte(text))...) }

func gifC2PA(store []byte) []byte {
	return append(append([]byte{0x21, 0xFF, 11}, "C2PA_GIF\x01\x00\x00"...), gifBlocks(store)...)
}

// --- PDF --------------------------------------------------------------------------------

// pdfFile numbers objs from 1 and writes them with a header, an xref table and a trailer
// pointing at object 1 as the catalog and object 2 (when there is one) as Info.
func pdfFile(objs ...[]byte) []byte {
	b := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := []int{}
	for i, o := range objs {
		offs = append(offs, len(b))
		b = fmt.Appendf(b, "%d 0 obj\n", i+1)
		b = append(b, o...)
		b = append(b, "\nendobj\n"...)
	}
	x := len(b)
	b = fmt.Appendf(b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		b = fmt.Appendf(b, "%010d 00000 n \n", o)
	}
	b = fmt.Appendf(b, "trailer\n<< /Size %d /Root 1 0 R /Info 2 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b
}

func pdfStream(dict string, data []byte) []byte {
	b := fmt.Appendf(nil, "<< %s /Length %d >>\nstream\n", dict, len(data))
	return append(append(b, data...), "\nendstream"...)
}

// pdfLiteral escapes s as a PDF literal string.
func pdfLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return "(" + r.Replace(s) + ")"
}

var pdfCatalog = []byte("<< /Type /Catalog /Pages 3 0 R /Metadata 4 0 R >>")
var pdfPages = []byte("<< /Type /Pages /Kids [] /Count 0 >>")

// cut returns b without its last n bytes.
func cut(b []byte, n int) []byte { return b[:len(b)-n] }

// testFiles returns every generated test file by its path under testdata/.
func testFiles() map[string][]byte {
	jpegLabel := jpegFile(jpegXMP(xmpAttr))
	pngLabel := pngFile(pngText("AIGC", testLabel))
	mp4Label := mp4File([][]byte{bmffBox("udta", mdtaMeta(true, "AIGC", testLabel))})
	mp3Label := append(id3Tag(3, 0, txxx(3, 0, "AIGC", testLabel)), mpegFrame()...)
	wavLabel := wavFile(riffChunk("AIGC", []byte(testLabel)))
	webpLabel := webpFile(riffChunk("XMP ", xmpAttr))
	gifLabel := gifFile(gifXMP(xmpAttr))
	heifLabel := heifFile("heic", xmpAttr, nil)
	return map[string][]byte{
		"png/label-text.png":            pngLabel,
		"png/label-ztxt.png":            pngFile(pngZText("AIGC", testLabel)),
		"png/label-itxt.png":            pngFile(pngIText("AIGC", []byte(testLabel), false)),
		"png/label-itxt-compressed.png": pngFile(pngIText("AIGC", []byte(testLabel), true)),
		"png/label-xmp.png":             pngFile(pngIText(xmpKey, xmpAttr, false)),
		"png/two-labels.png":            pngFile(pngText("AIGC", testLabel), pngIText(xmpKey, xmpAttr, false)),
		"png/none.png":                  pngFile(pngIText(xmpKey, xmpNone, false), pngText("Software", "aigcwatch-gen")),
		"png/c2pa.png":                  pngFile(pngChunk("caBX", c2paJUMBF())),
		"png/truncated.png":             cut(pngLabel, len(pngLabel)-60),
		"png/corrupt-ztxt.png":          pngFile(pngChunk("zTXt", []byte("AIGC\x00\x00not zlib at all"))),

		"jpeg/label-xmp-attr.jpg": jpegLabel,
		"jpeg/label-xmp-elem.jpg": jpegFile(jpegXMP(xmpElem)),
		"jpeg/two-labels.jpg":     jpegFile(jpegXMP(xmpTwo)),
		"jpeg/none.jpg":           jpegFile(jpegXMP(xmpNone)),
		"jpeg/c2pa.jpg":           jpegFile(jpegXMP(xmpAttr), jpegSeg(0xEB, append([]byte("JP\x00\x01\x00\x00\x00\x01"), c2paJUMBF()...))),
		"jpeg/truncated.jpg":      jpegLabel[:200],

		"mp4/label.mp4":      mp4Label,
		"mp4/two-labels.mp4": mp4File([][]byte{bmffBox("udta", mdtaMeta(true, "AIGC", testLabel)), mdtaMeta(false, "com.apple.quicktime.title", "t", "AIGC", testLabel)}),
		"mp4/none.mp4":       mp4File([][]byte{mdtaMeta(false, "com.apple.quicktime.title", "t")}),
		"mp4/c2pa.mp4":       mp4File(nil, bmffBox("uuid", c2paBoxUUID, c2paBMFF()), bmffBox("uuid", xmpBoxUUID, xmpAttr)),
		"mp4/truncated.mp4":  mp4Label[:len(mp4Label)-120],

		"mp3/label-v23.mp3":    mp3Label,
		"mp3/label-v24.mp3":    append(id3Tag(4, 0, id3Frame(4, "TIT2", []byte("\x03title")), txxx(4, 3, "AIGC", testLabel)), mpegFrame()...),
		"mp3/label-utf16.mp3":  append(id3Tag(3, 0, txxx(3, 1, "AIGC", testLabel)), mpegFrame()...),
		"mp3/label-unsync.mp3": append(id3Tag(3, 0x80, txxx(3, 0, "other", "\xff\xe0\xff"), txxx(3, 0, "AIGC", testLabel)), mpegFrame()...),
		"mp3/two-labels.mp3":   append(id3Tag(4, 0, txxx(4, 3, "AIGC", testLabel), txxx(4, 0, "AIGC", testLabel)), mpegFrame()...),
		"mp3/none.mp3":         append(id3Tag(4, 0, id3Frame(4, "TIT2", []byte("\x03title"))), mpegFrame()...),
		"mp3/truncated.mp3":    mp3Label[:100],

		"wav/label-chunk.wav": wavLabel,
		"wav/label-info.wav":  wavFile(infoList("INAM", "tone", "AIGC", testLabel)),
		"wav/two-labels.wav":  wavFile(riffChunk("AIGC", []byte(testLabel)), infoList("AIGC", testLabel)),
		"wav/none.wav":        wavFile(infoList("INAM", "tone")),
		"wav/truncated.wav":   wavLabel[:120],

		"webp/label-xmp.webp":  webpLabel,
		"webp/label-exif.webp": webpFile(riffChunk("EXIF", exifTIFF("a cat", testLabel))),
		"webp/two-labels.webp": webpFile(riffChunk("EXIF", exifTIFF(testLabel, "")), riffChunk("XMP ", xmpAttr)),
		"webp/none.webp":       webpFile(riffChunk("XMP ", xmpNone), riffChunk("EXIF", exifTIFF("a cat", "taken in Paris"))),
		"webp/c2pa.webp":       webpFile(riffChunk("C2PA", c2paJUMBF())),
		"webp/truncated.webp":  webpLabel[:len(webpLabel)-100],

		"pdf/label-xmp.pdf": pdfFile(pdfCatalog, []byte("<< /Producer (aigcwatch-gen) >>"), pdfPages, pdfStream("/Type /Metadata /Subtype /XML", xmpAttr)),
		"pdf/label-xmp-flate.pdf": pdfFile(pdfCatalog, []byte("<< /Producer (aigcwatch-gen) >>"), pdfPages,
			pdfStream("/Type /Metadata /Subtype /XML /Filter /FlateDecode", zlibBytes(xmpAttr))),
		"pdf/label-info.pdf": pdfFile(pdfCatalog, []byte("<< /Producer (aigcwatch-gen) /AIGC "+pdfLiteral(testLabel)+" >>"), pdfPages),
		"pdf/two-labels.pdf": pdfFile(pdfCatalog, []byte("<< /AIGC "+pdfLiteral(testLabel)+" >>"), pdfPages, pdfStream("/Type /Metadata /Subtype /XML", xmpAttr)),
		"pdf/none.pdf":       pdfFile(pdfCatalog, []byte("<< /Producer (aigcwatch-gen) >>"), pdfPages, pdfStream("/Type /Metadata /Subtype /XML", xmpNone)),
		"pdf/c2pa.pdf": pdfFile(pdfCatalog, []byte("<< /Producer (aigcwatch-gen) >>"), pdfPages,
			pdfStream("/Type /EmbeddedFile /Subtype /application#2Fc2pa", c2paJUMBF())),

		"gif/label-xmp.gif":     gifLabel,
		"gif/label-comment.gif": gifFile(gifComment(testLabel)),
		"gif/two-labels.gif":    gifFile(gifComment(testLabel), gifXMP(xmpAttr)),
		"gif/none.gif":          gifFile(gifXMP(xmpNone), gifComment("made with aigcwatch-gen")),
		"gif/c2pa.gif":          gifFile(gifC2PA(c2paJUMBF())),
		"gif/truncated.gif":     gifLabel[:len(gifLabel)-30],

		"heif/label-xmp.heic":  heifLabel,
		"heif/label-exif.heic": heifFile("heic", nil, exifTIFF("a cat", testLabel)),
		"heif/two-labels.avif": heifFile("avif", xmpAttr, exifTIFF(testLabel, "")),
		"heif/none.heic":       heifFile("heic", xmpNone, exifTIFF("a cat", "")),
		"heif/c2pa.heic":       heifFile("heic", nil, nil, bmffBox("uuid", c2paBoxUUID, c2paBMFF())),
		"heif/truncated.heic":  heifLabel[:200],

		"ooxml/label-custom.docx": docxFile(zip.Store, "docProps/custom.xml", customProps("AIGC", testLabel)),
		"ooxml/label-core.docx":   docxFile(zip.Store, "docProps/core.xml", coreProps(testLabel)),
		"ooxml/two-labels.docx":   docxFile(zip.Store, "docProps/custom.xml", customProps("AIGC", testLabel), "docProps/core.xml", coreProps(testLabel)),
		"ooxml/none.docx":         docxFile(zip.Store, "docProps/custom.xml", customProps("Department", "finance"), "docProps/core.xml", coreProps("quarterly report")),
		"ooxml/c2pa.docx":         docxFile(zip.Store, "META-INF/content_credential.c2pa", string(c2paJUMBF())),

		"jpeg/label-exif.jpg": jpegFile(jpegSeg(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(testLabel, "")...))),
	}
}

func TestGenerate(t *testing.T) {
	files := testFiles()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		path := filepath.Join("testdata", filepath.FromSlash(name))
		want := files[name]
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run: go test -run TestGenerate -update)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: checked-in file differs from the generator's (%d vs %d bytes); run: go test -run TestGenerate -update", name, len(got), len(want))
		}
	}
}
