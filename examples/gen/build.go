package main

import (
	"fmt"
	"strings"
	"time"
)

// Parties. Companies, codes and platforms are invented; codes have the shape of
// TC260-PG-20252A: "00", two digits, an 18-character unified social credit code, the
// role digit (1 producer, 2 propagator) and "0000".

type party struct{ name, code string }

func serviceCode(kind, uscc string, role byte) string {
	c := "00" + kind + uscc + string(role) + "0000"
	if len(c) != 27 {
		panic("gen: service code " + c + " is not 27 characters")
	}
	return c
}

var cnProducers = []party{
	{"xinghe-ai", serviceCode("11", "91110108MA01KP2T5U", '1')},
	{"yunque-tech", serviceCode("11", "91310115MA1K4LQX8B", '1')},
	{"shenlan-model", serviceCode("11", "91440300MA5G2WTR3N", '1')},
	{"qingshan-vision", serviceCode("11", "91330106MA2H7C9P0E", '1')},
}

var cnPlatforms = []party{
	{"kuaixiang", serviceCode("22", "91110105MA02XQ7L3C", '2')},
	{"weilan-social", serviceCode("22", "91440106MA59RT8K2D", '2')},
	{"huamei-shop", serviceCode("22", "91510100MA6C3PW91F", '2')},
}

var (
	euProviders = []string{"lumen-gen", "atelier-ia", "nordlicht-ai", "pixelforge"}
	euPlatforms = []string{"kiosko", "plaza-social", "vidmarkt"}
	usProviders = []string{"brightpixel", "northwind-ai", "sierra-studio"}
	usPlatforms = []string{"townsquare", "clipcast"}
	ukPlatforms = []string{"highstreet-social", "teatime-video"}
	euJuris     = []string{"EU", "DE", "FR", "IT", "ES", "NL", "IE", "AT", "PL", "SE"}
	usJuris     = []string{"US", "US-CA", "US-NY", "US-TX", "US-WA"}
)

const (
	dstTrained   = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
	dstComposite = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
	dstCapture   = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
	adDisclaimer = "Ad generated or substantially altered using artificial intelligence."
)

// aigcFields are the seven Annex E values, in the standard's order.
type aigcFields struct {
	Label, ContentProducer, ProduceID, ReservedCode1, ContentPropagator, PropagateID, ReservedCode2 string
}

// json writes {"AIGC":{...}} with the keys in the standard's order.
func (f aigcFields) json() string {
	return `{"AIGC":` + f.inner() + `}`
}

func (f aigcFields) inner() string {
	return fmt.Sprintf(`{"Label":%q,"ContentProducer":%q,"ProduceID":%q,"ReservedCode1":%q,"ContentPropagator":%q,"PropagateID":%q,"ReservedCode2":%q}`,
		f.Label, f.ContentProducer, f.ProduceID, f.ReservedCode1, f.ContentPropagator, f.PropagateID, f.ReservedCode2)
}

// producedBy is a first-write label: the propagation fields repeat the production ones
// (GB 45438 Annex E note 1).
func producedBy(p party, id string) aigcFields {
	pid := strings.SplitN(p.name, "-", 2)[0] + "-" + hexOf("produce:"+id, 16)
	return aigcFields{Label: "1", ContentProducer: p.code, ProduceID: pid, ContentPropagator: p.code, PropagateID: pid}
}

// propagated is the label a platform writes on output: production fields kept, its
// own code and content id as propagator.
func propagated(f aigcFields, plat party, contentID, label string) aigcFields {
	f.ContentPropagator, f.PropagateID = plat.code, contentID
	if label != "" {
		f.Label = label
	}
	return f
}

// carrier returns the usual implicit-label carrier for a modality.
func carrier(modality string, raw string, i int) implicit {
	switch modality {
	case "audio":
		return implicit{Carrier: "id3:TXXX:AIGC", Path: "ID3v2.4/TXXX[AIGC]", Raw: raw, Offset: 10 + int64(i%5)*37}
	case "video":
		return implicit{Carrier: "mp4:mdta:AIGC", Path: "moov/meta/ilst/AIGC", Raw: raw, Offset: 2048 + int64(i%7)*512}
	case "other":
		return implicit{Carrier: "pdf:/AIGC", Path: "trailer/Info/AIGC", Raw: raw, Offset: 90112 + int64(i%3)*4096}
	}
	return implicit{Carrier: "xmp:TC260:AIGC", Path: "x:xmpmeta/rdf:RDF/rdf:Description/TC260:AIGC", Raw: raw, Offset: 1024 + int64(i%9)*64}
}

var (
	imageSizes = [][2]int{{1024, 1024}, {1344, 768}, {768, 1344}, {2048, 2048}, {1536, 1024}}
	audioLens  = []float64{12.5, 31, 48.2, 95, 180}
	videoLens  = []float64{6, 10, 15.5, 30, 58}
)

// mediaFor describes the file of a non-text record. The PDQ hash is derived from the
// record id, so no two records are near-duplicates unless a group says so.
func mediaFor(modality, id string, i int, software string) *media {
	sha := hexOf("file:"+id, 64)
	switch modality {
	case "image":
		sz := pick(imageSizes, i, 0)
		q := 70 + int(hexOf("q:"+id, 2)[0])%30
		return &media{MIME: pick([]string{"image/png", "image/jpeg", "image/webp"}, i, 0), SHA256: sha, PDQ: hexOf("pdq:"+id, 64), PDQQuality: &q, Width: sz[0], Height: sz[1], Software: software}
	case "audio":
		return &media{MIME: pick([]string{"audio/mpeg", "audio/wav", "audio/ogg"}, i, 0), SHA256: sha, DurationS: pick(audioLens, i, 0), Software: software}
	case "video":
		sz := pick([][2]int{{1920, 1080}, {1080, 1920}, {1280, 720}}, i, 0)
		return &media{MIME: "video/mp4", SHA256: sha, Width: sz[0], Height: sz[1], DurationS: pick(videoLens, i, 0), Software: software}
	case "other":
		return &media{MIME: "application/pdf", SHA256: sha, Software: software}
	}
	return nil
}

// flipBits flips n bits of a hex hash, spread out, for near-duplicate fingerprints.
func flipBits(h string, n int) string {
	b := []byte(h)
	for k := range n {
		pos := (k*13 + 5) % len(b)
		var v byte
		fmt.Sscanf(string(b[pos]), "%x", &v)
		b[pos] = "0123456789abcdef"[v^1]
	}
	return string(b)
}

// c2paGenAI is a C2PA manifest of a generator, as a validator summarises it.
func c2paGenAI(tool, version, signer string, t time.Time, id, dst, state string) *c2pa {
	when := t.Add(-3 * time.Second).UTC().Format(time.RFC3339)
	action := "c2pa.created"
	if dst == dstComposite {
		action = "c2pa.edited"
	}
	return &c2pa{
		Present:            true,
		ValidationState:    state,
		ClaimGenerator:     tool + "/" + version,
		ClaimGeneratorInfo: &claimGenerator{Name: tool, Version: version},
		SignerOrg:          signer,
		When:               when,
		InstanceID:         "xmp:iid:" + hexOf("iid:"+id, 8) + "-" + hexOf("iid2:"+id, 4) + "-" + hexOf("iid3:"+id, 12),
		Actions:            []c2paAction{{Action: action, DigitalSourceType: dst, SoftwareAgent: tool + " " + version, When: when}},
		AllActionsIncluded: yes(),
	}
}

// labelledText appends or prepends a Chinese explicit label to a generated text.
func labelledText(s string, i int) string {
	switch i % 3 {
	case 0:
		return "【本回答由AI生成】" + s
	case 1:
		return s + "（以上内容由人工智能生成，仅供参考）"
	}
	return s + " [AI生成]"
}

func account(prefix, id string) string { return prefix + hexOf("acct:"+id, 6) }
