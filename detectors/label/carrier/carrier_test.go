package carrier

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	_ "golang.org/x/image/webp"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label"
	"github.com/aigcwatch/aigcwatch/record"
)

type wantLabel struct {
	carrier string
	raw     string
	exact   bool // the raw bytes are at Offset in the file
}

func lbl(carrier, raw string) wantLabel { return wantLabel{carrier, raw, true} }

func TestReadTestdata(t *testing.T) {
	t.Parallel()
	xmpLabel := lbl("xmp:TC260:AIGC", xmlAttrEscaped)
	cases := []struct {
		file     string
		format   Format
		modality string
		w, h     int
		labels   []wantLabel
		dst      string
		c2pa     bool
		err      error // sentinel, nil for a clean read
		errText  string
		nodecode bool // no standard-library decoder to compare the size with
	}{
		{file: "png/label-text.png", format: PNG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{lbl("png:tEXt:AIGC", testLabel)}},
		{file: "png/label-ztxt.png", format: PNG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{{"png:zTXt:AIGC", testLabel, false}}},
		{file: "png/label-itxt.png", format: PNG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{lbl("png:iTXt:AIGC", testLabel)}},
		{file: "png/label-itxt-compressed.png", format: PNG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{{"png:iTXt:AIGC", testLabel, false}}},
		{file: "png/label-xmp.png", format: PNG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{xmpLabel}, dst: testDST},
		{file: "png/two-labels.png", format: PNG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{lbl("png:tEXt:AIGC", testLabel), xmpLabel}, dst: testDST},
		{file: "png/none.png", format: PNG, modality: record.Image, w: 8, h: 6},
		{file: "png/c2pa.png", format: PNG, modality: record.Image, w: 8, h: 6, c2pa: true},
		{file: "png/truncated.png", format: PNG, err: ErrTruncated, errText: `"tEXt" chunk declares`},
		{file: "png/corrupt-ztxt.png", format: PNG, err: ErrMalformed, errText: `zTXt chunk "AIGC": zlib`},

		{file: "jpeg/label-xmp-attr.jpg", format: JPEG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{xmpLabel}, dst: testDST},
		{file: "jpeg/label-xmp-elem.jpg", format: JPEG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{lbl("xmp:TC260:AIGC", testLabel)}, dst: testDST},
		{file: "jpeg/two-labels.jpg", format: JPEG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{xmpLabel, lbl("xmp:TC260:AIGC", testLabel)}},
		{file: "jpeg/none.jpg", format: JPEG, modality: record.Image, w: 8, h: 6},
		{file: "jpeg/c2pa.jpg", format: JPEG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{xmpLabel}, dst: testDST, c2pa: true},
		{file: "jpeg/truncated.jpg", format: JPEG, err: ErrTruncated, errText: "segment 0xFFE1 declares"},

		{file: "mp4/label.mp4", format: MP4, modality: record.Video, w: 64, h: 48, labels: []wantLabel{lbl("mp4:mdta:AIGC", testLabel)}},
		{file: "mp4/two-labels.mp4", format: MP4, modality: record.Video, w: 64, h: 48, labels: []wantLabel{lbl("mp4:mdta:AIGC", testLabel), lbl("mp4:mdta:AIGC", testLabel)}},
		{file: "mp4/none.mp4", format: MP4, modality: record.Video, w: 64, h: 48},
		{file: "mp4/c2pa.mp4", format: MP4, modality: record.Video, w: 64, h: 48, labels: []wantLabel{xmpLabel}, dst: testDST, c2pa: true},
		{file: "mp4/truncated.mp4", format: MP4, err: ErrTruncated, errText: "moov box declares 569 bytes"},

		{file: "mp3/label-v23.mp3", format: MP3, modality: record.Audio, labels: []wantLabel{lbl("id3:TXXX:AIGC", testLabel)}},
		{file: "mp3/label-v24.mp3", format: MP3, modality: record.Audio, labels: []wantLabel{lbl("id3:TXXX:AIGC", testLabel)}},
		{file: "mp3/label-utf16.mp3", format: MP3, modality: record.Audio, labels: []wantLabel{{"id3:TXXX:AIGC", testLabel, false}}},
		{file: "mp3/label-unsync.mp3", format: MP3, modality: record.Audio, labels: []wantLabel{lbl("id3:TXXX:AIGC", testLabel)}},
		{file: "mp3/two-labels.mp3", format: MP3, modality: record.Audio, labels: []wantLabel{lbl("id3:TXXX:AIGC", testLabel), lbl("id3:TXXX:AIGC", testLabel)}},
		{file: "mp3/none.mp3", format: MP3, modality: record.Audio},
		{file: "mp3/truncated.mp3", format: MP3, err: ErrTruncated, errText: "ID3 tag declares"},

		{file: "wav/label-chunk.wav", format: WAV, modality: record.Audio, labels: []wantLabel{lbl("riff:AIGC", testLabel)}},
		{file: "wav/label-info.wav", format: WAV, modality: record.Audio, labels: []wantLabel{lbl("riff:INFO:AIGC", testLabel)}},
		{file: "wav/two-labels.wav", format: WAV, modality: record.Audio, labels: []wantLabel{lbl("riff:AIGC", testLabel), lbl("riff:INFO:AIGC", testLabel)}},
		{file: "wav/none.wav", format: WAV, modality: record.Audio},
		{file: "wav/truncated.wav", format: WAV, err: ErrTruncated, errText: `chunk "AIGC" declares`},

		{file: "webp/label-xmp.webp", format: WebP, modality: record.Image, w: 64, h: 48, labels: []wantLabel{xmpLabel}, dst: testDST},
		{file: "webp/label-exif.webp", format: WebP, modality: record.Image, w: 64, h: 48, labels: []wantLabel{lbl("exif:UserComment:AIGC", testLabel)}},
		{file: "webp/two-labels.webp", format: WebP, modality: record.Image, w: 64, h: 48, labels: []wantLabel{lbl("exif:ImageDescription:AIGC", testLabel), xmpLabel}, dst: testDST},
		{file: "webp/none.webp", format: WebP, modality: record.Image, w: 64, h: 48},
		{file: "webp/c2pa.webp", format: WebP, modality: record.Image, w: 64, h: 48, c2pa: true},
		{file: "webp/truncated.webp", format: WebP, err: ErrTruncated, errText: `chunk "XMP " declares`},
		{file: "pdf/label-xmp.pdf", format: PDF, modality: record.Text, labels: []wantLabel{xmpLabel}, dst: testDST},
		{file: "pdf/label-xmp-flate.pdf", format: PDF, modality: record.Text, labels: []wantLabel{{"xmp:TC260:AIGC", xmlAttrEscaped, false}}, dst: testDST},
		{file: "pdf/label-info.pdf", format: PDF, modality: record.Text, labels: []wantLabel{{"pdf:Info:AIGC", testLabel, false}}},
		{file: "pdf/two-labels.pdf", format: PDF, modality: record.Text, labels: []wantLabel{{"pdf:Info:AIGC", testLabel, false}, xmpLabel}, dst: testDST},
		{file: "pdf/none.pdf", format: PDF, modality: record.Text},
		{file: "pdf/c2pa.pdf", format: PDF, modality: record.Text, c2pa: true},
		{file: "gif/label-xmp.gif", format: GIF, modality: record.Image, w: 64, h: 48, labels: []wantLabel{xmpLabel}, dst: testDST},
		{file: "gif/label-comment.gif", format: GIF, modality: record.Image, w: 64, h: 48, labels: []wantLabel{{"gif:Comment:AIGC", testLabel, false}}},
		{file: "gif/two-labels.gif", format: GIF, modality: record.Image, w: 64, h: 48, labels: []wantLabel{{"gif:Comment:AIGC", testLabel, false}, xmpLabel}, dst: testDST},
		{file: "gif/none.gif", format: GIF, modality: record.Image, w: 64, h: 48},
		{file: "gif/c2pa.gif", format: GIF, modality: record.Image, w: 64, h: 48, c2pa: true},
		{file: "gif/truncated.gif", format: GIF, err: ErrTruncated, errText: "sub-block"},
		{file: "heif/label-xmp.heic", format: HEIF, modality: record.Image, w: 64, h: 48, labels: []wantLabel{xmpLabel}, dst: testDST, nodecode: true},
		{file: "heif/label-exif.heic", format: HEIF, modality: record.Image, w: 64, h: 48, labels: []wantLabel{lbl("exif:UserComment:AIGC", testLabel)}, nodecode: true},
		{file: "heif/two-labels.avif", format: HEIF, modality: record.Image, w: 64, h: 48, labels: []wantLabel{xmpLabel, lbl("exif:ImageDescription:AIGC", testLabel)}, dst: testDST, nodecode: true},
		{file: "heif/none.heic", format: HEIF, modality: record.Image, w: 64, h: 48, nodecode: true},
		{file: "heif/c2pa.heic", format: HEIF, modality: record.Image, w: 64, h: 48, c2pa: true, nodecode: true},
		{file: "heif/truncated.heic", format: HEIF, err: ErrTruncated, errText: "box declares"},
		{file: "ooxml/label-custom.docx", format: OOXML, modality: record.Text, labels: []wantLabel{{"ooxml:custom:AIGC", testLabel, false}}},
		{file: "ooxml/label-core.docx", format: OOXML, modality: record.Text, labels: []wantLabel{{"ooxml:core:description:AIGC", testLabel, false}}},
		{file: "ooxml/two-labels.docx", format: OOXML, modality: record.Text, labels: []wantLabel{{"ooxml:custom:AIGC", testLabel, false}, {"ooxml:core:description:AIGC", testLabel, false}}},
		{file: "ooxml/none.docx", format: OOXML, modality: record.Text},
		{file: "ooxml/c2pa.docx", format: OOXML, modality: record.Text, c2pa: true},
		{file: "jpeg/label-exif.jpg", format: JPEG, modality: record.Image, w: 8, h: 6, labels: []wantLabel{lbl("exif:ImageDescription:AIGC", testLabel)}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if got := Sniff(data); got != tc.format {
				t.Fatalf("Sniff = %q, want %q", got, tc.format)
			}
			res, err := Read(data, Limits{})
			if tc.err != nil {
				var fe *FormatError
				if !errors.Is(err, tc.err) || !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err = %v, want %v containing %q", err, tc.err, tc.errText)
				}
				if fe.Offset < 0 || fe.Offset > int64(len(data)) {
					t.Errorf("error offset %d outside the file (%d bytes)", fe.Offset, len(data))
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if res.Modality != tc.modality || res.Width != tc.w || res.Height != tc.h {
				t.Errorf("modality, size = %s %dx%d, want %s %dx%d", res.Modality, res.Width, res.Height, tc.modality, tc.w, tc.h)
			}
			if res.IPTCDigitalSourceType != tc.dst || res.C2PA != tc.c2pa {
				t.Errorf("dst, c2pa = %q %v, want %q %v", res.IPTCDigitalSourceType, res.C2PA, tc.dst, tc.c2pa)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %q", res.Warnings)
			}
			if len(res.Labels) != len(tc.labels) {
				t.Fatalf("labels = %+v, want %d", res.Labels, len(tc.labels))
			}
			for i, w := range tc.labels {
				g := res.Labels[i]
				if g.Carrier != w.carrier || g.Raw != w.raw || g.Path == "" {
					t.Errorf("label %d = %+v, want carrier %q raw %q", i, g, w.carrier, w.raw)
				}
				if w.exact && (g.Offset < 0 || g.Offset+int64(len(g.Raw)) > int64(len(data)) || string(data[g.Offset:g.Offset+int64(len(g.Raw))]) != g.Raw) {
					t.Errorf("label %d: raw not found at offset %d", i, g.Offset)
				}
				// The label detector must read every carrier we extract as the same label.
				if p := label.Parse(g.Raw); p.Status != label.OK || p.Values[0] != "1" {
					t.Errorf("label %d: label.Parse status %v, Label %q", i, p.Status, p.Values[0])
				}
			}
			// Images: the size must agree with the standard library's decoder.
			if tc.modality == record.Image && !tc.nodecode { // no HEIF decoder in the standard library
				cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
				if err != nil || cfg.Width != res.Width || cfg.Height != res.Height {
					t.Errorf("image.DecodeConfig = %dx%d, %v; reader says %dx%d", cfg.Width, cfg.Height, err, res.Width, res.Height)
				}
			}
			if tc.format == MP4 && res.DurationS != 2 {
				t.Errorf("duration = %v, want 2", res.DurationS)
			}
			if tc.format == WAV && res.DurationS != 0.05 {
				t.Errorf("duration = %v, want 0.05", res.DurationS)
			}
		})
	}
	for name := range testFiles() {
		if !seen[name] {
			t.Errorf("generated file %s has no test case", name)
		}
	}
}

func TestSniffUnknown(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "BM6\x00\x00\x00", "OggS\x00\x02", "fLaC\x00\x00\x00\x22", "RIFF\x00\x00\x00\x00AVI "} {
		if _, err := Read([]byte(in), Limits{}); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Read(%q) = %v, want ErrUnknownFormat", in, err)
		}
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	data := pngFile(pngText("AIGC", testLabel))
	if _, err := Read(data, Limits{MaxFileBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxFileBytes: err = %v, want ErrTooLarge", err)
	}
	// More carriers than MaxLabels: the first ones are kept, with a warning.
	many := pngFile(pngText("AIGC", "1"), pngText("AIGC", "2"), pngText("AIGC", "3"))
	res, err := Read(many, Limits{MaxLabels: 2})
	if err != nil || len(res.Labels) != 2 || res.Labels[1].Raw != "2" || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "dropped") {
		t.Errorf("MaxLabels: %+v, %v", res, err)
	}
	// A value longer than MaxValueBytes is cut at a rune boundary, with a warning.
	res, err = Read(pngFile(pngIText("AIGC", []byte("ab标签"), false)), Limits{MaxValueBytes: 4})
	if err != nil || len(res.Labels) != 1 || res.Labels[0].Raw != "ab" || len(res.Warnings) != 1 {
		t.Errorf("MaxValueBytes: %+v, %v", res, err)
	}
	// Decompression is bounded.
	big := strings.Repeat("A", 5000)
	_, err = Read(pngFile(pngZText("AIGC", big)), Limits{MaxInflate: 4096})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "more than 4096") {
		t.Errorf("MaxInflate: err = %v", err)
	}
	// XMP nesting is bounded.
	deep := xmpPacket(strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100))
	_, err = Read(jpegFile(jpegXMP(deep)), Limits{})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "nested deeper than 64") {
		t.Errorf("MaxXMLDepth: err = %v", err)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "x.png")
	if err := os.WriteFile(p, pngFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p, 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile over the limit: %v", err)
	}
	if d, err := ReadFile(p, 0); err != nil || Sniff(d) != PNG {
		t.Errorf("ReadFile: %v", err)
	}
	if _, err := ReadFile(dir, 0); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("ReadFile(dir) = %v", err)
	}
}

// TestXMPForms checks the XMP scanner on forms the generated files do not cover.
func TestXMPForms(t *testing.T) {
	t.Parallel()
	ns := ` xmlns:TC260="` + NSTC260 + `" xmlns:Iptc4xmpExt="` + NSIPTCExt + `"`
	cases := []struct {
		name, desc string
		carriers   []string
		raws       []string
		dst        string
	}{
		{"single-quoted attribute keeps raw quotes", `<rdf:Description` + ns + ` TC260:AIGC='{"Label":"1"}'/>`, []string{"xmp:TC260:AIGC"}, []string{`{"Label":"1"}`}, ""},
		{"rdf:Alt keeps the li text", `<rdf:Description` + ns + `><TC260:AIGC><rdf:Alt><rdf:li xml:lang="x-default">{&quot;Label&quot;:&quot;1&quot;}</rdf:li></rdf:Alt></TC260:AIGC></rdf:Description>`, []string{"xmp:TC260:AIGC"}, []string{`{&quot;Label&quot;:&quot;1&quot;}`}, ""},
		{"CDATA kept raw", `<rdf:Description` + ns + `><TC260:AIGC><![CDATA[{"Label":"1"}]]></TC260:AIGC></rdf:Description>`, []string{"xmp:TC260:AIGC"}, []string{`<![CDATA[{"Label":"1"}]]>`}, ""},
		{"empty element", `<rdf:Description` + ns + `><TC260:AIGC/></rdf:Description>`, []string{"xmp:TC260:AIGC"}, []string{""}, ""},
		{"unbound prefix still reported", `<rdf:Description TC260:AIGC="x"/>`, []string{"xmp:TC260:AIGC"}, []string{"x"}, ""},
		{"other namespace, key contains AIGC", `<rdf:Description xmlns:v="urn:vendor" v:AIGCLabel="y"/>`, []string{"xmp:v:AIGCLabel"}, []string{"y"}, ""},
		{"TC260 prefix bound elsewhere", `<rdf:Description xmlns:TC260="urn:other" TC260:AIGC="z"/>`, []string{"xmp:TC260:AIGC"}, []string{"z"}, ""},
		{"namespace URI mentioning AIGC is not a label", `<rdf:Description xmlns:AIGC="` + NSTC260 + `" AIGC:Other="v"/>`, nil, nil, ""},
		{"rebinding is scoped", `<rdf:Description xmlns:p="` + NSTC260 + `"><q xmlns:p="urn:x" p:AIGC="in"/></rdf:Description><rdf:Description p:AIGC="out"/>`, []string{"xmp:p:AIGC", "xmp:p:AIGC"}, []string{"in", "out"}, ""},
		{"dst element text with entity", `<rdf:Description` + ns + `><Iptc4xmpExt:DigitalSourceType> http://a/b?x=1&amp;y=2 </Iptc4xmpExt:DigitalSourceType></rdf:Description>`, nil, nil, "http://a/b?x=1&y=2"},
		{"comment and PI skipped", `<!-- TC260:AIGC="no" --><?pi TC260:AIGC="no"?><rdf:Description` + ns + ` TC260:AIGC="yes"/>`, []string{"xmp:TC260:AIGC"}, []string{"yes"}, ""},
		{"'>' inside an attribute value", `<rdf:Description` + ns + ` a="x>y" TC260:AIGC="v>w"/>`, []string{"xmp:TC260:AIGC"}, []string{"v>w"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &state{lim: DefaultLimits, res: &Result{Format: JPEG}}
			if err := s.xmpScan(xmpPacket(tc.desc), 0, true, "t"); err != nil {
				t.Fatal(err)
			}
			var carriers, raws []string
			for _, l := range s.res.Labels {
				carriers, raws = append(carriers, l.Carrier), append(raws, l.Raw)
			}
			if !slices.Equal(carriers, tc.carriers) || !slices.Equal(raws, tc.raws) || s.res.IPTCDigitalSourceType != tc.dst {
				t.Errorf("got %q %q dst %q, want %q %q dst %q", carriers, raws, s.res.IPTCDigitalSourceType, tc.carriers, tc.raws, tc.dst)
			}
		})
	}
	// The rebinding case reports the inner one as "xmp:p:AIGC" (not TC260) and the
	// outer one as TC260 only when the binding is in scope: check the outer explicitly.
	s := &state{lim: DefaultLimits, res: &Result{Format: JPEG}}
	s.xmpScan(xmpPacket(`<rdf:Description xmlns:p="`+NSTC260+`" p:AIGC="a"/><rdf:Description p:AIGC="b"/>`), 0, true, "t")
	if len(s.res.Labels) != 2 || s.res.Labels[0].Carrier != "xmp:TC260:AIGC" || s.res.Labels[1].Carrier != "xmp:p:AIGC" {
		t.Errorf("namespace scope: %+v", s.res.Labels)
	}
}

// TestHostileLengths feeds length fields that claim gigabytes and checks the read fails
// cleanly without allocating in proportion to the claim.
func TestHostileLengths(t *testing.T) {
	huge := []byte{0xFF, 0xFF, 0xFF, 0xF0}
	inputs := map[string][]byte{
		"png chunk":    append([]byte(pngSig), append(huge, "tEXtAIGC"...)...),
		"jpeg segment": {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'h'},
		"mp4 box":      append(append(huge, "moov"...), 0, 0, 0, 0),
		"mp4 64-bit":   append(append(u32(1), "moov"...), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
		"mp4 keys":     mp4File([][]byte{bmffBox("meta", u32(0), bmffBox("hdlr", u32(0), u32(0), []byte("mdta")), bmffBox("keys", u32(0), huge))}),
		"id3 tag":      {'I', 'D', '3', 4, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F},
		"id3 frame":    id3TagRaw(4, append([]byte("TXXX"), 0x7F, 0x7F, 0x7F, 0x7F, 0, 0)),
		"riff chunk":   append([]byte("RIFF\xff\xff\xff\xffWAVEAIGC"), huge...),
		"riff info":    wavFile(riffChunk("LIST", append([]byte("INFOAIGC"), huge...))),
	}
	for name, in := range inputs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res, err := Read(in, Limits{})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: err = %v, want ErrTruncated", name, err)
		}
		if res != nil && len(res.Labels) != 0 {
			t.Errorf("%s: labels from a bad length: %+v", name, res.Labels)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Errorf("%s: allocated %d bytes", name, d)
		}
	}
}

func id3TagRaw(ver byte, body []byte) []byte {
	return append(append([]byte{'I', 'D', '3', ver, 0, 0}, syncsafeBytes(len(body))...), body...)
}

// TestMoreCarriers covers carriers and encodings the checked-in files do not.
func TestMoreCarriers(t *testing.T) {
	t.Parallel()
	v23compressed := func() []byte { // 2.3 frame flag 0x0080: 4-byte size, then zlib
		body := append([]byte{0}, "AIGC\x00"+testLabel...)
		z := append(u32(uint32(len(body))), zlibBytes(body)...)
		f := append([]byte("TXXX"), u32(uint32(len(z)))...)
		return append(append(f, 0x00, 0x80), z...)
	}
	v24unsyncDLI := func() []byte { // 2.4 frame flags 0x0002|0x0001: DLI, then unsynchronised data
		body := append([]byte{0}, "AIGC\x00\xff\xe0"...) // ISO 8859-1 "ÿà"
		data := append(syncsafeBytes(len(body)), unsyncBytes(body)...)
		f := append([]byte("TXXX"), syncsafeBytes(len(data))...)
		return append(append(f, 0x00, 0x03), data...)
	}
	v22 := func() []byte {
		body := append([]byte{0}, "AIGC\x00"+testLabel...)
		return append(append([]byte("TXX"), byte(len(body)>>16), byte(len(body)>>8), byte(len(body))), body...)
	}
	utf16be := func() []byte {
		b := []byte{2}
		for _, r := range "AIGC\x00" + testLabel {
			b = append(b, 0, byte(r))
		}
		return id3Frame(3, "TXXX", b)
	}
	streamed := wavFile(riffChunk("AIGC", []byte(testLabel)))
	copy(streamed[4:], "\xff\xff\xff\xff") // RIFF size left unset by a streaming writer
	geob := id3Frame(3, "GEOB", append([]byte("\x00"+c2paMIME+"\x00f.c2pa\x00d\x00"), c2paJUMBF()...))
	cases := []struct {
		name     string
		data     []byte
		carriers []string
		raw      string
		dst      string
		c2pa     bool
	}{
		{"id3 2.2 TXX", append(append([]byte("ID3\x02\x00\x00"), syncsafeBytes(len(v22()))...), v22()...), []string{"id3:TXXX:AIGC"}, testLabel, "", false},
		{"id3 2.3 compressed frame", append(append([]byte("ID3\x03\x00\x00"), syncsafeBytes(len(v23compressed()))...), v23compressed()...), []string{"id3:TXXX:AIGC"}, testLabel, "", false},
		{"id3 2.4 frame unsync + data length indicator", append(append([]byte("ID3\x04\x00\x00"), syncsafeBytes(len(v24unsyncDLI()))...), v24unsyncDLI()...), []string{"id3:TXXX:AIGC"}, "\xc3\xbf\xc3\xa0", "", false},
		{"id3 UTF-16BE", id3Tag(3, 0, utf16be()), []string{"id3:TXXX:AIGC"}, testLabel, "", false},
		{"id3 GEOB c2pa", id3Tag(3, 0, geob), nil, "", "", true},
		{"id3 description containing AIGC", id3Tag(4, 0, txxx(4, 3, "AIGC_Label", "x")), []string{"id3:TXXX:AIGC_Label"}, "x", "", false},
		{"wav _PMX, id3 and C2PA chunks", wavFile(riffChunk("_PMX", xmpAttr), riffChunk("id3 ", id3Tag(3, 0, txxx(3, 0, "AIGC", testLabel))), riffChunk("C2PA", c2paJUMBF())),
			[]string{"xmp:TC260:AIGC", "id3:TXXX:AIGC"}, "", testDST, true},
		{"wav with unset RIFF size", streamed, []string{"riff:AIGC"}, testLabel, "", false},
		{"mp4 udta/XMP_ and trak meta", mp4File([][]byte{bmffBox("udta", bmffBox("XMP_", xmpElem))}), []string{"xmp:TC260:AIGC"}, testLabel, testDST, false},
		{"mp4 non-mdta handler ignored", mp4File([][]byte{bytes.Replace(mdtaMeta(true, "AIGC", testLabel), []byte("mdta\x00"), []byte("mdir\x00"), 1)}), nil, "", "", false},
		{"png tEXt keyword containing AIGC, ISO 8859-1 value", pngFile(pngText("AIGC-label", "caf\xe9")), []string{"png:tEXt:AIGC-label"}, "café", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Read(tc.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var carriers []string
			for _, l := range res.Labels {
				carriers = append(carriers, l.Carrier)
			}
			if !slices.Equal(carriers, tc.carriers) || res.IPTCDigitalSourceType != tc.dst || res.C2PA != tc.c2pa || len(res.Warnings) != 0 {
				t.Fatalf("carriers %q dst %q c2pa %v warnings %q; want %q %q %v", carriers, res.IPTCDigitalSourceType, res.C2PA, res.Warnings, tc.carriers, tc.dst, tc.c2pa)
			}
			if tc.raw != "" && res.Labels[len(res.Labels)-1].Raw != tc.raw && res.Labels[0].Raw != tc.raw {
				t.Errorf("raw = %q, want %q", res.Labels[0].Raw, tc.raw)
			}
		})
	}
}

// TestManifestRead: every carrier of a C2PA store hands it to the manifest reader, and
// the record gets the manifest's actions. The fixtures' data hash covers nothing, so the
// hard binding must fail (a reader that skipped the check would say match or unchecked).
func TestManifestRead(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"png":  pngFile(pngChunk("caBX", c2paJUMBF())),
		"jpeg": jpegFile(jpegSeg(0xEB, append([]byte("JP\x00\x01\x00\x00\x00\x01"), c2paJUMBF()...))),
		"mp4":  mp4File(nil, bmffBox("uuid", c2paBoxUUID, c2paBMFF())),
		"wav":  wavFile(riffChunk("C2PA", c2paJUMBF())),
		"webp": webpFile(riffChunk("C2PA", c2paJUMBF())),
		"gif":  gifFile(gifC2PA(c2paJUMBF())),
		"heif": heifFile("heic", nil, nil, bmffBox("uuid", c2paBoxUUID, c2paBMFF())),
		"mp3":  append(id3Tag(3, 0, id3Frame(3, "GEOB", append([]byte("\x00"+c2paMIME+"\x00manifest.c2pa\x00store\x00"), c2paJUMBF()...))), mpegFrame()...),
		"docx deflated": docxFile(zip.Deflate, "META-INF/content_credential.c2pa", string(c2paJUMBF()),
			"docProps/custom.xml", customProps("AIGC", testLabel)),
		"pdf": pdfFile(pdfCatalog, []byte("<< >>"), pdfPages, pdfStream("/Type /EmbeddedFile /Subtype /application#2Fc2pa", c2paJUMBF())),
		"pdf flate": pdfFile(pdfCatalog, []byte("<< >>"), pdfPages,
			pdfStream("/Type /EmbeddedFile /Subtype /application#2Fc2pa /Filter /FlateDecode", zlibBytes(c2paJUMBF()))),
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			res, err := Read(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Manifest == nil {
				t.Fatalf("no manifest read (error %v, warnings %v)", res.ManifestErr, res.Warnings)
			}
			c := res.C2PARecord()
			if !c.Present || c.ValidationState != "Invalid" || c.HardBinding != "mismatch" || len(c.Actions) != 1 ||
				c.Actions[0].DigitalSourceType != testDST || c.ClaimGenerator != "aigcwatch-testdata/1" {
				t.Errorf("record %+v", c)
			}
		})
	}
	// A store that cannot be parsed is still present, and invalid.
	res, err := Read(pngFile(pngChunk("caBX", []byte("\x00\x00\x00\x10jumbxxxx"))), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.C2PARecord()
	if !c.Present || c.ValidationState != "Invalid" || !slices.Contains(c.StatusCodes, "claim.malformed") || res.ManifestErr == nil {
		t.Errorf("unparsable store: record %+v, error %v", c, res.ManifestErr)
	}
}

// TestRemoteManifest: dcterms:provenance in XMP is a remote manifest reference, reported
// in the record and never fetched.
func TestRemoteManifest(t *testing.T) {
	t.Parallel()
	const url = "https://example.com/manifests/abc.c2pa"
	for name, pkt := range map[string][]byte{
		"attribute": xmpPacket(`<rdf:Description rdf:about="" xmlns:dcterms="http://purl.org/dc/terms/" dcterms:provenance="` + url + `"/>`),
		"element":   xmpPacket(`<rdf:Description rdf:about="" xmlns:d="http://purl.org/dc/terms/"><d:provenance>` + url + `</d:provenance></rdf:Description>`),
	} {
		res, err := Read(jpegFile(jpegXMP(pkt)), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		c := res.C2PARecord()
		if res.RemoteManifest != url || c.RemoteManifest != url || c.Present {
			t.Errorf("%s: remote %q, record %+v", name, res.RemoteManifest, c)
		}
	}
	res, _ := Read(jpegFile(jpegXMP(xmpPacket(`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:provenance="x"/>`))), Limits{})
	if res.RemoteManifest != "" {
		t.Errorf("dc:provenance (not dcterms) read as a remote manifest: %q", res.RemoteManifest)
	}
}

// TestZIPDirectoryBound: an archive that declares more entries than the limit, or is
// ZIP64, is refused before archive/zip allocates its directory.
func TestZIPDirectoryBound(t *testing.T) {
	t.Parallel()
	for _, n := range []uint16{30000, 0xFFFF} {
		d := docxFile(zip.Store, "docProps/custom.xml", customProps("AIGC", testLabel))
		e := bytes.LastIndex(d, []byte("PK\x05\x06"))
		binary.LittleEndian.PutUint16(d[e+8:], n)
		binary.LittleEndian.PutUint16(d[e+10:], n)
		_, err := Read(d, Limits{})
		var fe *FormatError
		if !errors.Is(err, ErrMalformed) || !errors.As(err, &fe) || fe.Offset != int64(e) {
			t.Errorf("%d entries: %v", n, err)
		}
	}
}
