package serve_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/serve"
)

// startRun serves h with serve.Run on a loopback port until the returned cancel.
func startRun(t *testing.T, h *serve.Handler, opt serve.ServerOptions) (string, context.CancelFunc, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve.Run(ctx, ln, h, opt) }()
	t.Cleanup(func() {
		cancel()
		<-done
		done <- nil
	})
	return ln.Addr().String(), cancel, done
}

// TestShutdownFinishesInFlightRequests: after the context ends, a request being judged
// still gets its verdict, /readyz turns 503 first, and Run returns nil.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	var bc *blockingChecker
	f := newFixture(t, func(o *serve.Options) {
		bc = &blockingChecker{eng: o.Checker.(*engine.Engine), started: make(chan struct{}, 8), release: make(chan struct{})}
		o.Checker = bc
	})
	addr, cancel, done := startRun(t, f.h, serve.ServerOptions{ShutdownTimeout: 10 * time.Second})
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/moderate", strings.NewReader(fraudCN))
		req.Header.Set("Authorization", "Bearer "+tokenA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-bc.started
	cancel()
	time.Sleep(100 * time.Millisecond) // Run is now shutting down, waiting for the request
	if a := f.do(call{method: "GET", path: "/readyz"}); a.status != 503 {
		t.Errorf("readyz while shutting down: %d", a.status)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned %v with a request in flight", err)
	default:
	}
	close(bc.release)
	if s := <-status; s != 200 {
		t.Errorf("the in-flight request got %d, want its verdict", s)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the last request")
	}
}

// TestTLS serves HTTPS with a certificate and key from files.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeSelfSigned(t, certFile, keyFile)
	f := newFixture(t, nil)
	addr, _, _ := startRun(t, f.h, serve.ServerOptions{TLSCert: certFile, TLSKey: keyFile, ShutdownTimeout: time.Second})
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("POST", "https://"+addr+"/v1/moderate", strings.NewReader(fraudCN))
	req.Header.Set("Authorization", "Bearer "+tokenB)
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("status %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	// A plain HTTP request to the TLS port gets net/http's 400, never an answer.
	if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the TLS port: %d", r.StatusCode)
		}
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// TestKafkaIncidentSink: with brokers configured, incidents go to the incidents topic as
// `aigcwatch run` writes them (key the provider, aigcwatch-id header, CloudEvents JSON),
// before the verdict is answered. Real broker.
func TestKafkaIncidentSink(t *testing.T) {
	addr := kafkatest.Broker(t)
	topic := kafkatest.CreateTopic(t, addr, "serve-incidents", 2)
	ctx := context.Background()
	if _, err := serve.NewKafkaSink(ctx, []string{addr}, topic+"-missing", "aigcwatch-test", nil); err == nil {
		t.Error("a sink on a missing topic was built")
	}
	sink, err := serve.NewKafkaSink(ctx, []string{addr}, topic, "aigcwatch-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	f := newFixture(t, func(o *serve.Options) { o.Incidents = sink })
	var want []string
	for i := range 5 {
		rec := fmt.Sprintf(`{"id":"k-%d","provider":"prov-%d","jurisdiction":"CN","modality":"text","text":"兼职刷单返利，日赚五百"}`, i, i)
		v, err := f.eng.CheckJSON(ctx, []byte(rec))
		if err != nil || len(v.Incidents) == 0 {
			t.Fatalf("%v, %d incidents", err, len(v.Incidents))
		}
		for _, ev := range v.Incidents {
			want = append(want, ev.ID)
		}
		if a := f.do(call{method: "POST", path: "/v1/moderate", body: []byte(rec), token: tokenA}); a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
	}
	// Every incident is on the topic once the requests were answered.
	got := map[string]bool{}
	for p := range 2 {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := kafka.DialLeader(lctx, "tcp", addr, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		for n := int64(0); n < last; n++ {
			m, err := r.ReadMessage(lctx)
			if err != nil {
				t.Fatal(err)
			}
			var id, ct string
			for _, h := range m.Headers {
				switch h.Key {
				case stream.HeaderID:
					id = string(h.Value)
				case stream.HeaderContentType:
					ct = string(h.Value)
				}
			}
			if ct != "application/cloudevents+json" || !strings.HasPrefix(string(m.Key), "prov-") || !strings.Contains(string(m.Value), id) {
				t.Errorf("message key %q content-type %q id %q: %s", m.Key, ct, id, m.Value)
			}
			got[id] = true
		}
		cancel()
		r.Close()
	}
	for _, id := range want {
		if !got[id] {
			t.Errorf("incident %s not on the topic", id)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d incidents on the topic, want %d", len(got), len(want))
	}
}
