package route

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/incident"
)

func TestMatch(t *testing.T) {
	tr, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Names) != 3 || len(tr.Receivers["cac"].Secrets) != 1 || tr.Receivers["cac"].MaxAttempts != 5 || tr.Receivers["tns"].MaxAttempts != DefaultMaxAttempts {
		t.Fatalf("receivers %+v", tr.Receivers)
	}
	cases := []struct {
		name string
		s    incident.Summary
		want string // receivers, in order, with the route ids
	}{
		{"default", incident.Summary{Jurisdiction: "US", Rule: "US-1"}, "tns@0"},
		{"CN continues to the rule route", incident.Summary{Jurisdiction: "CN", Rule: "CN-CONTENT-05"}, "cac@0.0 tns@0.2"},
		{"CN without a CN rule: cac, then nothing else matches", incident.Summary{Jurisdiction: "CN", Rule: "X"}, "cac@0.0"},
		{"EU high", incident.Summary{Jurisdiction: "EU", Severity: "high", Rule: "CN-1"}, "euaio@0.1"},
		{"EU critical privacy goes to the child", incident.Summary{Jurisdiction: "EU", Severity: "critical", Layer: "privacy"}, "tns@0.1.0"},
		{"EU low falls through to the root", incident.Summary{Jurisdiction: "EU", Severity: "low"}, "tns@0"},
		{"regex is anchored", incident.Summary{Jurisdiction: "EU", Severity: "highest"}, "tns@0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, r := range tr.Match(&c.s) {
				got = append(got, r.Receiver+"@"+r.ID)
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("got %v, want %s", got, c.want)
			}
		})
	}
	rs := tr.Routes()
	byID := map[string]*Route{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	if r := byID["0.1"]; r.GroupWait.String() != "10s" || r.GroupInterval.String() != "1m0s" || strings.Join(r.GroupBy, ",") != "provider,rule" {
		t.Errorf("inheritance: %+v", r)
	}
	if r := byID["0.1.0"]; r.GroupInterval.String() != "1m0s" {
		t.Errorf("grandchild inherits group_interval: %v", r.GroupInterval)
	}
	a := incident.Summary{ID: "1", Provider: "p", Rule: "r"}
	b := incident.Summary{ID: "2", Provider: "p", Rule: "r"}
	if byID["0"].GroupKey(&a) != byID["0"].GroupKey(&b) || byID["0.0"].GroupKey(&a) == byID["0.0"].GroupKey(&b) {
		t.Error("group keys: group_by [provider, rule] groups, ... does not")
	}
	if byID["0"].GroupKey(&a) == byID["0.2"].GroupKey(&a) {
		t.Error("group keys of different routes must differ")
	}
}

func TestBadConfigListsEveryProblem(t *testing.T) {
	_, err := Load("testdata/bad.yaml")
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err %v, want ErrInvalid", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"field colour not found",              // unknown key
		"receivers[0] (tns).url: \"ftp://x\"", // bad URL
		"receivers[0] (tns).secret_file",      // missing key file
		"missing.whsec",                       //
		"receivers[1] (tns).name: \"tns\" is defined twice",
		"receivers[2] (bad name).name",            // bad name
		"receivers[2] (bad name).url: required",   //
		"route.receiver: \"nobody\": no receiver", // unknown receiver at the root
		"route.routes[0].match.jurisdiktion: unknown label",
		"route.routes[1].match_re.severity: \"high|(\"",
		"route.routes[1].receiver: \"ghost\"",
		"route.routes[1].group_by: \"colour\"",
		"route.routes[1].group_interval: 0s: must be positive",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"empty", "", "receivers: at least one receiver"},
		{"no route", "receivers: [{name: a, url: 'http://x/', secret_file: testdata/tns.whsec}]", "route: required"},
		{"root matchers", "receivers: [{name: a, url: 'http://x/', secret_file: testdata/tns.whsec}]\nroute: {receiver: a, match: {layer: x}}", "root route matches every incident"},
		{"not yaml", "receivers: [", "invalid routing config"},
	} {
		if _, err := Parse(c.name, []byte(c.yaml)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}

func TestHolderKeepsOldRoutesOnBadReload(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"good.yaml", "bad.yaml", "tns.whsec", "cac.whsec"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o600)
	}
	path := filepath.Join(dir, "routes.yaml")
	copyFile := func(from string) {
		b, _ := os.ReadFile(filepath.Join(dir, from))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("good.yaml")
	h, err := NewHolder(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := h.Tree()
	copyFile("bad.yaml")
	if err := h.Reload(); err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("bad reload: %v", err)
	}
	if h.Tree() != old || h.LastReloadOK() {
		t.Error("a bad reload must keep the old routes and say it failed")
	}
	s := incident.Summary{Jurisdiction: "CN", Rule: "CN-1"}
	if got := h.Tree().Match(&s); len(got) != 2 || got[0].Receiver != "cac" {
		t.Errorf("old routes no longer route: %v", got)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "good.yaml"))
	os.WriteFile(path, []byte(strings.Replace(string(b), "receiver: cac\n      continue: true", "receiver: euaio\n      continue: true", 1)), 0o600)
	if err := h.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := h.Tree().Match(&s); got[0].Receiver != "euaio" || !h.LastReloadOK() || h.Tree().Hash == old.Hash {
		t.Errorf("good reload not applied: %v", got[0].Receiver)
	}
	if _, err := NewHolder(filepath.Join(dir, "bad.yaml"), nil, nil); err == nil {
		t.Error("a bad file at start must be refused")
	}
}
