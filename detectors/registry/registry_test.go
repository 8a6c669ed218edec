package registry

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	r, err := Load(filepath.Join("testdata", "cn.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 6 || !r.Has("CN") || r.Has("US") {
		t.Fatalf("len %d", r.Len())
	}
	f, ok := r.Lookup("CN", "xinghe-ai", "anything")
	if !ok || f.Number != "Shanghai-XingHe-202405200001" || f.Source != filepath.Join("testdata", "cn.tsv")+":6" {
		t.Errorf("wildcard lookup: %+v %v", f, ok)
	}
	if _, ok := r.Lookup("CN", "shenlan-model", "voice"); ok {
		t.Error("a service not listed was found")
	}
	if in := r.RegisteredIn("moxing-studio"); len(in) != 1 || in[0] != "CN" {
		t.Errorf("registered in %v", in)
	}
}

// TestBadFile: every bad line is reported with file:line and what is wrong; nothing is
// loaded.
func TestBadFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join("testdata", "bad.tsv")
	r, err := Load(p)
	if r != nil || err == nil {
		t.Fatalf("loaded a bad file: %v", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("%T %v", err, err)
	}
	for _, want := range []string{p + ":3: status \"cancelled\"", p + ":4: filed on \"10/01/2024\"", p + ":5: 3 columns",
		p + ":6: a/chat is already listed at " + p + ":2", p + ":7: valid until 2024-01-01 is not after", p + ":8: second #!jurisdiction"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(pe.Lines) != 6 {
		t.Errorf("%d line errors, want 6", len(pe.Lines))
	}
	if _, errs := Parse("x.tsv", []byte("a\tb\tc\tfiled\t2024-01-01\n")); len(errs) != 1 || !strings.Contains(errs[0].Error(), "x.tsv:1: "+ErrNoJurisdiction.Error()) {
		t.Errorf("entry before the directive: %v", errs)
	}
}

func TestDetector(t *testing.T) {
	t.Parallel()
	reg, err := Load(filepath.Join("testdata", "cn.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	at := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		r    record.Record
		reg  *Registry
		want string // category:detail of each finding
	}{
		{"filed", record.Record{Jurisdiction: "CN", Provider: "shenlan-model", Service: "chat", Time: at, ProviderInfo: &record.ProviderInfo{Filed: &yes, Country: "CN"}}, reg, ""},
		{"declared unfiled, no registry", record.Record{Jurisdiction: "CN", Provider: "huiyu-lab", ProviderInfo: &record.ProviderInfo{Filed: &no}}, nil,
			"filing.unfiled:provider_info.filed is false"},
		{"not in registry", record.Record{Jurisdiction: "CN", Provider: "huiyu-lab", Service: "chat", Time: at}, reg, "filing.not_registered:not in the CN registry"},
		{"service not listed", record.Record{Jurisdiction: "CN", Provider: "shenlan-model", Service: "voice", Time: at}, reg, "filing.not_registered:not in the CN registry"},
		{"wildcard service", record.Record{Jurisdiction: "CN", Provider: "xinghe-ai", Service: "chat", Time: at}, reg, ""},
		{"revoked", record.Record{Jurisdiction: "CN", Provider: "moxing-studio", Service: "chat", Time: at}, reg, "filing.revoked:filing Zhejiang-MoXing-202402140001 revoked (testdata/cn.tsv:7)"},
		{"suspended", record.Record{Jurisdiction: "CN", Provider: "qingshan-vision", Service: "chat", Time: at}, reg, "filing.revoked:filing Guangdong-QingShan-202409010001 suspended (testdata/cn.tsv:8)"},
		{"expired", record.Record{Jurisdiction: "CN", Provider: "shenlan-model", Service: "image-gen", Time: at}, reg, "filing.expired:filing Beijing-ShenLan-202403020002 expired (testdata/cn.tsv:5)"},
		{"before expiry", record.Record{Jurisdiction: "CN", Provider: "shenlan-model", Service: "image-gen", Time: at.AddDate(-1, 0, 0)}, reg, ""},
		{"filed after the record", record.Record{Jurisdiction: "CN", Provider: "yunque-tech", Service: "chat", Time: at}, reg, "filing.not_registered:filed 2026-12-01, after the record"},
		{"default jurisdiction", record.Record{Provider: "huiyu-lab", Service: "chat", Time: at}, reg, "filing.not_registered:not in the CN registry"},
		{"no registry for the jurisdiction", record.Record{Jurisdiction: "US-CA", Provider: "huiyu-lab", Time: at}, reg, ""},
		{"cross-border by country", record.Record{Jurisdiction: "PL", Provider: "p", ProviderInfo: &record.ProviderInfo{Country: "CN"}}, nil,
			"global.cross_border:provider registered in CN, record under PL"},
		{"cross-border by registry", record.Record{Jurisdiction: "UK", Provider: "xinghe-ai", Time: at}, reg, "global.cross_border:provider registered in CN, record under UK"},
		{"single market", record.Record{Jurisdiction: "ES", Provider: "p", ProviderInfo: &record.ProviderInfo{Country: "NL"}}, nil, ""},
		{"EU as a whole", record.Record{Jurisdiction: "EU", Provider: "p", ProviderInfo: &record.ProviderInfo{Country: "de"}}, nil, ""},
		{"state of the same country", record.Record{Jurisdiction: "US-CA", Provider: "p", ProviderInfo: &record.ProviderInfo{Country: "US"}}, nil, ""},
		{"GB is UK", record.Record{Jurisdiction: "UK", Provider: "p", ProviderInfo: &record.ProviderInfo{Country: "GB"}}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Detector{Registry: c.reg, DefaultJurisdiction: "CN", Now: func() time.Time { return at }}
			var res detectors.Result
			if err := d.Detect(context.Background(), &c.r, &res); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Category+":"+f.Evidence.Detail)
				wantLayer := detectors.Industry
				if f.Category == CrossBorder {
					wantLayer = detectors.Global
				}
				if f.Layer != wantLayer {
					t.Errorf("%s: layer %s", f.Category, f.Layer)
				}
			}
			if g := strings.Join(got, " "); g != strings.ReplaceAll(c.want, "testdata/", filepath.Join("testdata", "")+string(filepath.Separator)) {
				t.Errorf("got %q, want %q", g, c.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("#!jurisdiction CN\na\tb\tc\tfiled\t2024-01-01\t2025-01-01\n")
	f.Add("#!jurisdiction US-CA\n\n# x\na\t*\tc\trevoked\t2024-01-01\n")
	f.Fuzz(func(t *testing.T, s string) {
		fs, errs := Parse("f.tsv", []byte(s))
		for _, e := range errs {
			if !strings.HasPrefix(e.Error(), "f.tsv:") {
				t.Fatalf("error without file: %v", e)
			}
		}
		for _, x := range fs {
			if x.Provider == "" || x.Jurisdiction == "" || x.Number == "" {
				t.Fatalf("incomplete filing %+v", x)
			}
		}
	})
}
