package detectors

import (
	"encoding/json"
	"testing"
)

func TestEvidenceJSONByKind(t *testing.T) {
	cases := []struct {
		e    Evidence
		want string
	}{
		{Evidence{}, `{}`},
		{Evidence{Term: "刷单", Start: 0, End: 6}, `{"term":"刷单","start":0,"end":6}`},
		{Evidence{Field: "labels.explicit.text", Term: "AI", Start: 3, End: 5}, `{"field":"labels.explicit.text","term":"AI","start":3,"end":5}`},
		{Evidence{Bank: "known_deepfake", Entry: "e-1", Distance: 0}, `{"bank":"known_deepfake","entry":"e-1","distance":0}`},
		{Evidence{Bank: "b", Entry: "e", Distance: 12}, `{"bank":"b","entry":"e","distance":12}`},
		{Evidence{Field: "media.pdq", Bank: "b", Entry: "e", Distance: 3, Detail: "pdq rotate90"}, `{"field":"media.pdq","bank":"b","entry":"e","distance":3,"detail":"pdq rotate90"}`},
		{Evidence{Field: "labels.implicit", Term: "xmp:TC260:AIGC", Check: "CN-IMP-02", Outcome: "fail"}, `{"field":"labels.implicit","term":"xmp:TC260:AIGC","check":"CN-IMP-02","outcome":"fail"}`},
		{Evidence{Check: "CN-IMP-04", Outcome: "fail", Detail: `Label "AIGC" <x>`}, `{"check":"CN-IMP-04","outcome":"fail","detail":"Label \"AIGC\" \u003cx\u003e"}`},
	}
	for _, c := range cases {
		got, err := json.Marshal(c.e)
		if err != nil || string(got) != c.want {
			t.Errorf("%+v: got %s, want %s", c.e, got, c.want)
		}
	}
}
