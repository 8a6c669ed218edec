package webhook

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks reference vector (the specification's own libraries test it).
const (
	stdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	stdID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	stdTS     = 1614265330
	stdBody   = `{"test": 2432232314}`
	stdSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// The aigcwatch vector printed in docs/incidents.md (computed independently with openssl).
const (
	docSecret = "whsec_YWlnY3dhdGNoLXRlc3QtdmVjdG9yLWtleS0zMmJ5dGU="
	docID     = "105930132b8dd4f05597eaa65f29d74b"
	docTS     = 1767225600
	docBody   = `{"specversion":"1.0","id":"105930132b8dd4f05597eaa65f29d74b","source":"urn:aigcwatch","type":"org.aigcwatch.incident.v1","subject":"example-ai","time":"2026-01-01T00:00:00Z","datacontenttype":"application/json","data":{"record_id":"rec-1","rule":{"id":"CN-CONTENT-05","pack":"cn"}}}`
	docSig    = "v1,MY6pl3Fr0cOoAC8aaSExBXA7dbmRoMbPFLTwGLACuRk="
)

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func mustSecret(t *testing.T, s string) Secret {
	t.Helper()
	k, err := ParseSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignatureVectors(t *testing.T) {
	for _, v := range []struct {
		name, secret, id string
		ts               int64
		body, sig        string
	}{
		{"standard webhooks reference", stdSecret, stdID, stdTS, stdBody, stdSig},
		{"docs/incidents.md", docSecret, docID, docTS, docBody, docSig},
	} {
		t.Run(v.name, func(t *testing.T) {
			k := mustSecret(t, v.secret)
			if got := Sign(v.id, time.Unix(v.ts, 0), []byte(v.body), k); got != v.sig {
				t.Errorf("Sign = %s, want %s", got, v.sig)
			}
			now := time.Unix(v.ts, 0).Add(time.Minute)
			if _, err := Verify(headers(v.id, v.ts, v.sig), []byte(v.body), now, 0, k); err != nil {
				t.Errorf("the vector does not verify: %v", err)
			}
		})
	}
	doc, err := os.ReadFile("../../docs/incidents.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{docSecret, docID, strconv.Itoa(docTS), docBody, docSig} {
		if !bytes.Contains(doc, []byte(s)) {
			t.Errorf("docs/incidents.md does not carry the test vector's %q", s)
		}
	}
}

func TestVerifyFailures(t *testing.T) {
	k := mustSecret(t, docSecret)
	other := mustSecret(t, stdSecret)
	now := time.Unix(docTS, 0)
	cases := []struct {
		name string
		h    http.Header
		body string
		key  Secret
		now  time.Time
		want error
	}{
		{"changed body", headers(docID, docTS, docSig), strings.Replace(docBody, "rec-1", "rec-2", 1), k, now, ErrSignature},
		{"wrong key", headers(docID, docTS, docSig), docBody, other, now, ErrSignature},
		{"changed id", headers(docID+"0", docTS, docSig), docBody, k, now, ErrSignature},
		{"stale timestamp", headers(docID, docTS, docSig), docBody, k, now.Add(DefaultTolerance + time.Second), ErrStale},
		{"timestamp from the future", headers(docID, docTS, docSig), docBody, k, now.Add(-DefaultTolerance - time.Second), ErrStale},
		{"no signature", headers(docID, docTS, ""), docBody, k, now, ErrMissingHeaders},
		{"bad timestamp", func() http.Header { h := headers(docID, docTS, docSig); h.Set(HeaderTimestamp, "soon"); return h }(), docBody, k, now, ErrMissingHeaders},
		{"unknown version", headers(docID, docTS, strings.Replace(docSig, "v1,", "v2,", 1)), docBody, k, now, ErrSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Verify(c.h, []byte(c.body), c.now, 0, c.key); !errors.Is(err, c.want) {
				t.Errorf("err %v, want %v", err, c.want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old, next := mustSecret(t, stdSecret), mustSecret(t, docSecret)
	ts := time.Unix(docTS, 0)
	sig := Sign("m", ts, []byte("b"), old, next)
	if len(strings.Fields(sig)) != 2 {
		t.Fatalf("two secrets, signature %q", sig)
	}
	for _, k := range []Secret{old, next} {
		if _, err := Verify(headers("m", docTS, sig), []byte("b"), ts, 0, k); err != nil {
			t.Errorf("a receiver holding either key must verify: %v", err)
		}
	}
	// A receiver holding both keys verifies a sender that signs with the old one only.
	if _, err := Verify(headers("m", docTS, Sign("m", ts, []byte("b"), old)), []byte("b"), ts, 0, next, old); err != nil {
		t.Error(err)
	}
}

func TestParseSecrets(t *testing.T) {
	got, err := ParseSecrets([]byte("# current\n" + docSecret + "\n\n" + stdSecret + "\n"))
	if err != nil || len(got) != 2 || got[0].String() != docSecret {
		t.Fatalf("%v %v", got, err)
	}
	_, err = ParseSecrets([]byte(docSecret + "\nnot-a-secret\nwhsec_!!!\nwhsec_c2hvcnQ=\n"))
	for _, want := range []string{"line 2", "line 3", "line 4", "at least 16"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v: want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "YWln") {
		t.Error("an error shows a secret")
	}
	if _, err := ParseSecrets([]byte("\n# none\n")); err == nil {
		t.Error("an empty secret file must be an error")
	}
}

func TestRetryAfterAndClass(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := RetryAfter("120", now); d != 2*time.Minute {
		t.Errorf("seconds: %v", d)
	}
	if d := RetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); d != 90*time.Second {
		t.Errorf("date: %v", d)
	}
	if RetryAfter("soon", now) != 0 || RetryAfter("-5", now) != 0 {
		t.Error("bad values must read as none")
	}
	for _, c := range []struct {
		r         Result
		class     string
		retryable bool
	}{
		{Result{Status: 204}, "2xx", false}, {Result{Status: 400}, "4xx", false}, {Result{Status: 404}, "4xx", false},
		{Result{Status: 408}, "4xx", true}, {Result{Status: 429}, "4xx", true}, {Result{Status: 503}, "5xx", true},
		{Result{Status: 302}, "3xx", false}, {Result{Err: errors.New("refused")}, "network", true},
	} {
		if c.r.Class() != c.class || c.r.Retryable() != c.retryable {
			t.Errorf("%+v: class %s retryable %v", c.r, c.r.Class(), c.r.Retryable())
		}
	}
}

func TestPostAndInbox(t *testing.T) {
	k := mustSecret(t, docSecret)
	var out bytes.Buffer
	in := NewInbox(&out, []Secret{k})
	srv := httptest.NewServer(in)
	defer srv.Close()
	c := NewClient()
	now := time.Now()
	ev := func(id string) string {
		return strings.Replace(docBody, docID, id, 1)
	}
	post := func(id, ct, body string, key Secret, at time.Time) Result {
		return Post(t.Context(), c, Message{URL: srv.URL, ID: id, Body: []byte(body), ContentType: ct, Secrets: []Secret{key}}, at)
	}
	if r := post("w1", ContentTypeStructured, ev("a"), k, now); r.Status != 204 {
		t.Fatalf("structured: %+v", r)
	}
	if r := post("w2", ContentTypeBatch, "["+ev("a")+","+ev("b")+","+ev("c")+"]", k, now); r.Status != 204 {
		t.Fatalf("batch: %+v", r)
	}
	if r := post("w1", ContentTypeStructured, ev("a"), k, now); r.Status != 204 {
		t.Fatalf("redelivery must be acknowledged: %+v", r)
	}
	bad := []struct {
		name   string
		r      Result
		status int
	}{
		{"wrong key", post("w3", ContentTypeStructured, ev("d"), mustSecret(t, stdSecret), now), 401},
		{"stale", post("w3", ContentTypeStructured, ev("d"), k, now.Add(-time.Hour)), 400},
		{"not a CloudEvent", post("w3", ContentTypeStructured, `{"id":"x"}`, k, now), 400},
		{"content type", post("w3", "text/plain", ev("d"), k, now), 415},
	}
	for _, b := range bad {
		if b.r.Status != b.status || b.r.Retryable() {
			t.Errorf("%s: %+v, want %d and not retryable", b.name, b.r, b.status)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"id":"a"`) || !strings.Contains(lines[2], `"id":"c"`) {
		t.Fatalf("written:\n%s", out.String())
	}
	if s := in.Stats(); s.Written != 3 || s.Duplicates != 2 || s.Requests != 3 {
		t.Errorf("stats %+v", s)
	}
	// A restarted inbox loads the ids it wrote and still drops the redelivery.
	var out2 bytes.Buffer
	in2 := NewInbox(&out2, []Secret{k})
	if n, err := in2.Load(strings.NewReader(out.String())); n != 3 || err != nil {
		t.Fatalf("load %d %v", n, err)
	}
	srv2 := httptest.NewServer(in2)
	defer srv2.Close()
	r := Post(t.Context(), c, Message{URL: srv2.URL, ID: "w2", Body: []byte("[" + ev("b") + "," + ev("e") + "]"), ContentType: ContentTypeBatch, Secrets: []Secret{k}}, now)
	if r.Status != 204 || strings.Count(out2.String(), "\n") != 1 || !strings.Contains(out2.String(), `"id":"e"`) {
		t.Errorf("after restart: %+v, wrote %q", r, out2.String())
	}
}
