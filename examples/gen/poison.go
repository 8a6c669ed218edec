package main

import "io"

// poison are malformed lines, one per way a producer can get a record wrong. The
// decoder must reject each one with its reason (examples/stream_test.go holds the
// expected reasons); none may stop a scan.
var poison = []string{
	// invalid_json: an unterminated string.
	`{"id":"poison-json-001","jurisdiction":"CN","modality":"text","text":"未闭合的引号}`,
	// invalid_json: truncated in the middle of an object (a cut Kafka message).
	`{"id":"poison-json-002","jurisdiction":"EU","role":"provider","modality":"image","c2pa":{"present":true,"validation_state":"Tru`,
	// invalid_json: a JSON array, not an object.
	`["poison-json-003","CN","text"]`,
	// invalid_utf8: a Latin-1 byte inside the text.
	"{\"id\":\"poison-utf8-001\",\"jurisdiction\":\"FR\",\"modality\":\"text\",\"text\":\"caf\xe9 cr\xe8me\"}",
	// invalid_utf8: GBK bytes sent as if they were UTF-8.
	"{\"id\":\"poison-utf8-002\",\"jurisdiction\":\"CN\",\"modality\":\"text\",\"text\":\"\xc4\xe3\xba\xc3\"}",
	// wrong_type: declared_ai as a string.
	`{"id":"poison-type-001","jurisdiction":"CN","role":"platform","modality":"image","declared_ai":"yes"}`,
	// wrong_type: a score as a string.
	`{"id":"poison-type-002","jurisdiction":"UK","modality":"video","signals":{"deepfake_score":"0.97"}}`,
	// wrong_type: implicit labels as one object, not a list.
	`{"id":"poison-type-003","jurisdiction":"CN","role":"provider","modality":"image","labels":{"implicit":{"carrier":"xmp:TC260:AIGC","raw":"{}"}}}`,
	// missing_field: no id.
	`{"jurisdiction":"US-CA","modality":"text","text":"Great little cafe, friendly staff."}`,
	// missing_field: an id of spaces.
	`{"id":"   ","jurisdiction":"DE","modality":"text","text":"Schnelle Lieferung."}`,
	// invalid_value: an unknown modality.
	`{"id":"poison-value-001","jurisdiction":"CN","modality":"hologram"}`,
	// invalid_value: a score outside [0, 1].
	`{"id":"poison-value-002","jurisdiction":"IT","modality":"image","signals":{"ai_score":1.7}}`,
	// invalid_value: a time that is not RFC 3339.
	`{"id":"poison-value-003","time":"2026/10/05 09:00","jurisdiction":"CN","modality":"text","text":"你好"}`,
	// invalid_value: not a jurisdiction code.
	`{"id":"poison-value-004","jurisdiction":"China","modality":"text","text":"你好"}`,
}

func writePoison(w io.Writer) error {
	for _, l := range poison {
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			return err
		}
	}
	return nil
}
