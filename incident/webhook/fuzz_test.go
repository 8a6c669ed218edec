package webhook

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// FuzzVerify: whatever the headers and body, Verify does not panic, and a message signed
// with Sign always verifies while a changed body never does.
func FuzzVerify(f *testing.F) {
	f.Add(docID, int64(docTS), []byte(docBody), docSig)
	f.Add("", int64(0), []byte{}, "v1,")
	f.Add("id", int64(-1), []byte("x"), "v1,!!! v2,abc v1")
	k, _ := ParseSecret(docSecret)
	f.Fuzz(func(t *testing.T, id string, ts int64, body []byte, sig string) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		h.Set(HeaderSignature, sig)
		Verify(h, body, time.Unix(ts, 0), 0, k)
		if id == "" || ts < 0 || ts > 1<<40 {
			return
		}
		at := time.Unix(ts, 0)
		SetHeaders(h, id, at, body, k)
		if h.Get(HeaderID) != id {
			return // a header value net/http would not carry as given
		}
		if _, err := Verify(h, body, at, 0, k); err != nil {
			t.Fatalf("own signature does not verify: %v", err)
		}
		if _, err := Verify(h, append(append([]byte{}, body...), 'x'), at, 0, k); err == nil {
			t.Fatal("a changed body verified")
		}
	})
}
