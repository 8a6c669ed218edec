package record

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecodeGood(t *testing.T) {
	t.Parallel()
	in := `{"id":"r1","time":"2026-09-01T10:00:00+08:00","jurisdiction":"cn","provider":"p","service":"m v1",
	"platform":"pf","role":"platform","account":"a","modality":"image","text":"caption","declared_ai":false,
	"labels":{"explicit":{"present":true,"text":"AI生成","position":"corner","size_ratio":0.06,"type":"text"},
	  "implicit":[{"carrier":"xmp:TC260:AIGC","raw":"{\"Label\":\"1\"}"}],"interface":true},
	"watermark":{"detected":true,"vendor":"v"},
	"c2pa":{"present":true,"validation_state":"trusted","status_codes":["a"],"claim_generator":"g",
	  "actions":[{"action":"c2pa.created","digital_source_type":"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]},
	"iptc_digital_source_type":"trainedAlgorithmicMedia",
	"media":{"mime":"image/png","sha256":"ab","pdq":"00","pdq_quality":90,"width":10,"height":20,"duration_s":0,"software":"sd","data":"aGk="},
	"signals":{"ai_score":0.9,"deepfake_score":0.1,"depicts_real_person":true,"intimate":false,"minor_suspected":false,"consent":true},
	"distribution":{"notice":"is","platform_code":"x"},
	"provider_info":{"filed":true,"placed_on_market":"2026-01-01T00:00:00Z"},
	"unknown_field":{"ignored":[1,2,3]}}`
	var r Record
	if err := Decode([]byte(in), Limits{}, &r); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"id", r.ID == "r1"},
		{"time", r.Time.Equal(time.Date(2026, 9, 1, 2, 0, 0, 0, time.UTC))},
		{"jurisdiction upper-cased", r.Jurisdiction == "CN"},
		{"role", r.Role == RolePlatform},
		{"modality", r.Modality == Image},
		{"declared_ai false, not absent", r.DeclaredAI != nil && !*r.DeclaredAI},
		{"explicit", r.Labels.Explicit != nil && r.Labels.Explicit.SizeRatio == 0.06 && r.Labels.Explicit.Position == "corner"},
		{"implicit raw kept as found", len(r.Labels.Implicit) == 1 && r.Labels.Implicit[0].Raw == `{"Label":"1"}`},
		{"interface", r.Labels.Interface != nil && *r.Labels.Interface},
		{"watermark", r.Watermark != nil && r.Watermark.Detected},
		{"c2pa state canonical", r.C2PA != nil && r.C2PA.ValidationState == "Trusted"},
		{"c2pa action", r.C2PA != nil && len(r.C2PA.Actions) == 1 && strings.HasSuffix(r.C2PA.Actions[0].DigitalSourceType, "trainedAlgorithmicMedia")},
		{"iptc", r.IPTCDigitalSourceType == "trainedAlgorithmicMedia"},
		{"media", r.Media != nil && r.Media.Width == 10 && *r.Media.PDQQuality == 90 && string(r.Media.Data) == "hi"},
		{"signals", *r.Signals.AIScore == 0.9 && *r.Signals.DepictsRealPerson && *r.Signals.Consent},
		{"distribution", r.Distribution != nil && r.Distribution.Notice == "is"},
		{"provider info", r.ProviderInfo != nil && *r.ProviderInfo.Filed && r.ProviderInfo.PlacedOnMarket.Year() == 2026},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not decoded as expected: %+v", c.name, r)
		}
	}
}

func TestDecodeMinimal(t *testing.T) {
	t.Parallel()
	var r Record
	if err := Decode([]byte(`{"id":"x"}`), Limits{}, &r); err != nil {
		t.Fatal(err)
	}
	if r.DeclaredAI != nil || r.Media != nil || !r.Time.IsZero() {
		t.Errorf("absent fields must stay absent: %+v", r)
	}
	// Decoding into a used record must not leak old values.
	if err := Decode([]byte(`{"id":"y","text":"t"}`), Limits{}, &r); err != nil || r.ID != "y" {
		t.Fatal(err)
	}
	if err := Decode([]byte(`{"id":"z"}`), Limits{}, &r); err != nil || r.Text != "" {
		t.Fatalf("stale text %q (err %v)", r.Text, err)
	}
}

func TestDecodeBad(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, reason, field string
	}{
		{"not json", `{"id":`, ReasonInvalidJSON, ""},
		{"garbage", `hello`, ReasonInvalidJSON, ""},
		{"array", `[1,2]`, ReasonInvalidJSON, ""},
		{"missing id", `{"text":"x"}`, ReasonMissingField, "id"},
		{"empty id", `{"id":"  "}`, ReasonMissingField, "id"},
		{"id number", `{"id":5}`, ReasonWrongType, "id"},
		{"text number", `{"id":"a","text":5}`, ReasonWrongType, "text"},
		{"declared_ai string", `{"id":"a","declared_ai":"yes"}`, ReasonWrongType, "declared_ai"},
		{"nested wrong type", `{"id":"a","labels":{"implicit":[{"raw":1}]}}`, ReasonWrongType, "labels.implicit.0.raw"},
		{"media width string", `{"id":"a","media":{"width":"10"}}`, ReasonWrongType, "media.width"},
		{"signals score string", `{"id":"a","signals":{"ai_score":"high"}}`, ReasonWrongType, "signals.ai_score"},
		{"bad time", `{"id":"a","time":"yesterday"}`, ReasonInvalidValue, "time"},
		{"bad nested time", `{"id":"a","provider_info":{"placed_on_market":"2026-13-01"}}`, ReasonInvalidValue, "provider_info.placed_on_market"},
		{"bad role", `{"id":"a","role":"user"}`, ReasonInvalidValue, "role"},
		{"bad modality", `{"id":"a","modality":"hologram"}`, ReasonInvalidValue, "modality"},
		{"bad jurisdiction", `{"id":"a","jurisdiction":"China!"}`, ReasonInvalidValue, "jurisdiction"},
		{"score out of range", `{"id":"a","signals":{"deepfake_score":1.5}}`, ReasonInvalidValue, "signals.deepfake_score"},
		{"bad c2pa state", `{"id":"a","c2pa":{"validation_state":"ok"}}`, ReasonInvalidValue, "c2pa.validation_state"},
		{"bad notice", `{"id":"a","distribution":{"notice":"maybe"}}`, ReasonInvalidValue, "distribution.notice"},
		{"bad size ratio", `{"id":"a","labels":{"explicit":{"size_ratio":5}}}`, ReasonInvalidValue, "labels.explicit.size_ratio"},
		{"bad position", `{"id":"a","labels":{"explicit":{"position":"top"}}}`, ReasonInvalidValue, "labels.explicit.position"},
		{"bad pdq quality", `{"id":"a","media":{"pdq_quality":101}}`, ReasonInvalidValue, "media.pdq_quality"},
		{"bad base64", `{"id":"a","media":{"data":"!!"}}`, ReasonInvalidValue, "media.data"},
		{"invalid utf8 in text", "{\"id\":\"a\",\"text\":\"ok \xff\"}", ReasonInvalidUTF8, "text"},
		{"invalid utf8 in nested", "{\"id\":\"a\",\"labels\":{\"implicit\":[{\"carrier\":\"x\"},{\"raw\":\"\xc3\"}]}}", ReasonInvalidUTF8, "labels.implicit.1.raw"},
		{"invalid utf8 in key", "{\"id\":\"a\",\"t\xffx\":1}", ReasonInvalidUTF8, "t\ufffdx"},
		{"null record", `null`, ReasonInvalidJSON, ""},
		{"string record", `"x"`, ReasonInvalidJSON, ""},
		{"trailing garbage", `{"id":"a"} x`, ReasonInvalidJSON, ""},
		{"truncated", `{"id":"a","text":"abc`, ReasonInvalidJSON, ""},
		{"negative start", `{"id":"a","labels":{"explicit":{"start_s":-1}}}`, ReasonInvalidValue, "labels.explicit.start_s"},
		{"negative width", `{"id":"a","media":{"width":-1}}`, ReasonInvalidValue, "media.width"},
		{"float in int", `{"id":"a","media":{"width":1.5}}`, ReasonWrongType, "media.width"},
		{"text too long", `{"id":"a","text":"` + strings.Repeat("x", 2000) + `"}`, ReasonOversize, "text"},
	}
	lim := Limits{MaxTextBytes: 1000}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var r Record
			err := Decode([]byte(c.in), lim, &r)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("want *DecodeError, got %v", err)
			}
			if !errors.Is(err, ErrRejected) {
				t.Errorf("error does not wrap ErrRejected")
			}
			if de.Reason != c.reason || de.Field != c.field {
				t.Errorf("got reason %q field %q (%v), want %q %q", de.Reason, de.Field, err, c.reason, c.field)
			}
			if c.field != "" && !strings.Contains(err.Error(), c.field) {
				t.Errorf("message %q does not name the field", err)
			}
		})
	}
}

func TestDecodeFieldNamesAreExact(t *testing.T) {
	t.Parallel()
	var r Record
	if err := Decode([]byte(`{"id":"a","ID":"b","Modality":"hologram","TEXT":"x"}`), Limits{}, &r); err != nil {
		t.Fatalf("differently cased keys are unknown fields and ignored: %v", err)
	}
	if r.ID != "a" || r.Modality != "" || r.Text != "" {
		t.Errorf("case-insensitive match: %+v", r)
	}
}

func TestSyntaxErrorNamesByteNotContent(t *testing.T) {
	t.Parallel()
	var r Record
	err := Decode([]byte(`{"id":"a","text":"secret content" "x":1}`), Limits{}, &r)
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset != 35 || strings.Contains(err.Error(), "secret") {
		t.Fatalf("got %v (offset %d)", err, de.Offset)
	}
	err = Decode([]byte(`{"id":"a","text":"abc`), Limits{}, &r)
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "end of JSON input") || strings.Contains(err.Error(), "abc") {
		t.Fatalf("truncated: %v", err)
	}
}

func TestDecodeOversizeRecord(t *testing.T) {
	t.Parallel()
	var r Record
	err := Decode([]byte(`{"id":"a","x":"`+strings.Repeat("y", 100)+`"}`), Limits{MaxRecordBytes: 50}, &r)
	var de *DecodeError
	if !errors.As(err, &de) || de.Reason != ReasonOversize {
		t.Fatalf("got %v, want oversize", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"a","text":"hello","labels":{"implicit":[{"raw":"x"}]}}`))
	f.Add([]byte(`{"id":"a","time":"2026-01-01T00:00:00Z","signals":{"ai_score":0.5}}`))
	f.Add([]byte("{\"id\":\"\xff\"}"))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":"a","text":"a\n\u4e2d\ud83d\ude00\ud800x\udc00\\\"\/\b\f\r\t"}`))
	f.Add([]byte(`{"id":"a","text":null}`))
	f.Add([]byte(`{"id":"a","text":"x","Text":"y","text":"z"}`))
	// Long enough for the vectorised UTF-8 check (32-byte blocks), invalid at a block edge,
	// inside a block and in the scalar tail.
	long := `{"id":"a","text":"` + strings.Repeat("中文 text ", 8)
	f.Add([]byte(long + "\xe4\xb8" + `"}`))
	f.Add([]byte(long[:31] + "\xff" + long[31:] + `"}`))
	f.Add([]byte(long + "\xed\xa0\x80 surrogate" + `"}`))
	f.Add([]byte(long + "\xf4\x90\x80\x80 beyond U+10FFFF" + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		err := Decode(data, Limits{MaxRecordBytes: 4096, MaxTextBytes: 1024}, &r)
		var de *DecodeError
		// The decoder's vectorised UTF-8 check says what the standard library says.
		if invalid := len(data) <= 4096 && !utf8.Valid(data); invalid != (errors.As(err, &de) && de.Reason == ReasonInvalidUTF8) {
			t.Fatalf("utf8.Valid says invalid=%v, Decode says %v, input %q", invalid, err, data)
		}
		if err != nil {
			if !errors.As(err, &de) {
				t.Fatalf("non-DecodeError %T: %v", err, err)
			}
			return
		}
		if strings.TrimSpace(r.ID) == "" {
			t.Fatalf("accepted a record without id: %q", data)
		}
		if len(r.Text) > 1024 {
			t.Fatalf("accepted oversize text")
		}
		// The text (decoded by wireText, not the JSON library) is what encoding/json
		// makes of the same member.
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) == nil {
			var want string
			if raw, ok := m["text"]; ok && json.Unmarshal(raw, &want) != nil {
				t.Fatalf("accepted a text encoding/json refuses: %s", raw)
			}
			if r.Text != want {
				t.Fatalf("text %q, encoding/json says %q, input %q", r.Text, want, data)
			}
		}
	})
}

func TestSelfReported(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
		bad  bool
	}{
		{`{"id":"a","self_reported":true}`, true, false},
		{`{"id":"a","self_reported":false}`, false, false},
		{`{"id":"a"}`, false, false},
		{`{"id":"a","self_reported":null}`, false, false},
		{`{"id":"a","self_reported":"yes"}`, false, true},
		{`{"id":"a","self_reported":1}`, false, true},
	} {
		var r Record
		err := Decode([]byte(c.in), Limits{}, &r)
		if c.bad {
			var de *DecodeError
			if !errors.As(err, &de) || de.Field != "self_reported" || de.Reason != ReasonWrongType {
				t.Errorf("%s: err %v, want wrong_type on self_reported", c.in, err)
			}
			continue
		}
		if err != nil || r.SelfReported != c.want {
			t.Errorf("%s: self_reported %v err %v, want %v", c.in, r.SelfReported, err, c.want)
		}
	}
}
