package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident/webhook"
)

// TestReceive runs `aigcwatch receive` in-process: signed single and batched events are
// appended once, a redelivery is acknowledged and not written again, a stale or badly
// signed request is refused, and a restart still knows the ids it wrote.
func TestReceive(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "s.whsec")
	os.WriteFile(secretFile, []byte("# regulator key\n"+testWhsec+"\n"), 0o600)
	out := filepath.Join(dir, "got.jsonl")
	start := func() (string, func() string) {
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- runReceive(ctx, []string{"--addr", "127.0.0.1:0", "--secret-file", secretFile, "--out", out}, nil, &stdout, &stderr)
		}()
		var addr string
		waitFor(t, "the receiver to listen", 10*time.Second, func() bool {
			m := regexp.MustCompile(`receiving on (http://\S+/)`).FindStringSubmatch(stdout.String())
			if m != nil {
				addr = m[1]
			}
			return m != nil
		})
		return addr, func() string {
			cancel()
			if code := <-done; code != exitOK {
				t.Errorf("receive exited %d: %s", code, stderr.String())
			}
			return stdout.String()
		}
	}
	k, _ := webhook.ParseSecret(testWhsec)
	ev := func(id string) string {
		return `{"specversion":"1.0","id":"` + id + `","source":"urn:aigcwatch","type":"org.aigcwatch.incident.v1","data":{"n":1}}`
	}
	c := webhook.NewClient()
	addr, stop := start()
	post := func(id, ct, body string, key webhook.Secret, at time.Time) int {
		return webhook.Post(t.Context(), c, webhook.Message{URL: addr, ID: id, Body: []byte(body), ContentType: ct, Secrets: []webhook.Secret{key}}, at).Status
	}
	now := time.Now()
	other, _ := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	for _, c := range []struct {
		name string
		got  int
		want int
	}{
		{"structured", post("m1", webhook.ContentTypeStructured, ev("e1"), k, now), 204},
		{"batched", post("m2", webhook.ContentTypeBatch, "["+ev("e2")+","+ev("e3")+"]", k, now), 204},
		{"redelivered", post("m1", webhook.ContentTypeStructured, ev("e1"), k, now), 204},
		{"stale", post("m3", webhook.ContentTypeStructured, ev("e4"), k, now.Add(-10*time.Minute)), 400},
		{"wrong key", post("m3", webhook.ContentTypeStructured, ev("e4"), other, now), 401},
	} {
		if c.got != c.want {
			t.Errorf("%s: HTTP %d, want %d", c.name, c.got, c.want)
		}
	}
	summary := stop()
	if !strings.Contains(summary, "3 events written, 1 redeliveries acknowledged") {
		t.Errorf("summary: %q", summary)
	}
	// A torn last line (the process died writing it) is cut at the next start.
	f, _ := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"specversion":"1.0","id":"torn`)
	f.Close()
	addr, stop = start()
	if got := post("m2", webhook.ContentTypeBatch, "["+ev("e2")+","+ev("e5")+"]", k, time.Now()); got != 204 {
		t.Errorf("after restart: %d", got)
	}
	stop()
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 || !strings.Contains(lines[3], `"id":"e5"`) {
		t.Errorf("output:\n%s", b)
	}
}

// TestReceiveTLS: with --tls-cert and --tls-key the receiver speaks HTTPS only.
func TestReceiveTLS(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	secretFile := filepath.Join(dir, "s.whsec")
	os.WriteFile(secretFile, []byte(testWhsec), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runReceive(ctx, []string{"--addr", "127.0.0.1:0", "--secret-file", secretFile, "--out", filepath.Join(dir, "o.jsonl"),
			"--tls-cert", certFile, "--tls-key", keyFile}, nil, &stdout, &stderr)
	}()
	var addr string
	waitFor(t, "the receiver to listen", 10*time.Second, func() bool {
		m := regexp.MustCompile(`receiving on (https://\S+/)`).FindStringSubmatch(stdout.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	c := webhook.NewClient()
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	k, _ := webhook.ParseSecret(testWhsec)
	body := `{"specversion":"1.0","id":"t1","source":"urn:x","type":"x"}`
	if r := webhook.Post(t.Context(), c, webhook.Message{URL: addr, ID: "m", Body: []byte(body), ContentType: webhook.ContentTypeStructured, Secrets: []webhook.Secret{k}}, time.Now()); r.Status != 204 {
		t.Errorf("over TLS: %+v", r)
	}
	if r := webhook.Post(t.Context(), webhook.NewClient(), webhook.Message{URL: strings.Replace(addr, "https", "http", 1), ID: "m", Body: []byte(body), ContentType: webhook.ContentTypeStructured, Secrets: []webhook.Secret{k}}, time.Now()); r.OK() {
		t.Error("plain HTTP accepted by a TLS receiver")
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}
