package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
)

// TestServeOutboxKill9WhileReceiverDown: serve with an incident outbox and a receiver
// that is down answers every request (the incidents are on disk first), is killed with
// SIGKILL, and started again on the same store; when the receiver comes back every
// incident arrives, exactly once by id, and the history lists them all.
func TestServeOutboxKill9WhileReceiverDown(t *testing.T) {
	t.Parallel()
	bin := aigcwatchBinary(t)
	dir := t.TempDir()
	rcv := newTestReceiver(t, false)
	routes := writeRoutes(t, dir, fmt.Sprintf("receivers: [{name: regulator, url: %q, secret_file: r.whsec}]\nroute: {receiver: regulator, group_wait: 100ms, group_interval: 200ms}\n", rcv.srv.URL))
	db := filepath.Join(dir, "outbox.db")
	args := []string{"--incidents-store", db, "--routes", routes, "--watch=false"}
	s := startServe(t, bin, nil, args...)
	const n = 60
	want := map[string]bool{}
	for i := range n {
		rec := fmt.Sprintf(`{"id":"ob-%03d","jurisdiction":"CN","role":"platform","declared_ai":false,"modality":"text","provider":"p%d","text":"加我微信，刷单返利，日赚500"}`, i, i%3)
		code, _, body := s.post(t, "/v1/moderate", "", "application/json", []byte(rec))
		if code != 200 {
			t.Fatalf("moderate: %d %s", code, body)
		}
		var v struct{ Rules []struct{ ID string } }
		if err := json.Unmarshal(body, &v); err != nil || len(v.Rules) == 0 {
			t.Fatalf("verdict %s (%v)", body, err)
		}
	}
	// What was answered is on disk: the history lists one incident per record.
	list := func(s *serveProc) []json.RawMessage {
		resp, err := http.Get(s.url + "/v1/incidents?limit=1000")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var page struct{ Incidents []json.RawMessage }
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /v1/incidents: %d %v", resp.StatusCode, err)
		}
		return page.Incidents
	}
	for _, raw := range list(s) {
		sum, err := incident.Summarize(raw)
		if err != nil {
			t.Fatal(err)
		}
		want[sum.ID] = true
	}
	if len(want) != n {
		t.Fatalf("%d incidents in the history, want %d", len(want), n)
	}
	waitFor(t, "delivery attempts while the receiver is down", 30*time.Second, func() bool { _, downs, _, _ := rcv.state(); return downs > 0 })
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.done <- nil
	rcv.setUp(true)
	s2 := startServe(t, bin, nil, args...)
	waitFor(t, "every incident at the receiver", time.Minute, func() bool { _, _, _, u := rcv.state(); return u >= n })
	time.Sleep(500 * time.Millisecond) // anything sent twice would arrive now
	_, downs, raw, unique := rcv.state()
	rcv.mu.Lock()
	for id := range want {
		if rcv.ids[id] != 1 {
			t.Errorf("incident %s delivered %d times", id, rcv.ids[id])
		}
	}
	rcv.mu.Unlock()
	if unique != n {
		t.Errorf("%d incidents at the receiver, want %d", unique, n)
	}
	if got := len(list(s2)); got != n {
		t.Errorf("after the restart the history lists %d incidents, want %d", got, n)
	}
	t.Logf("serve killed with the receiver down (%d refused attempts), restarted: %d of %d incidents delivered, %d raw deliveries", downs, unique, n, raw)
}
