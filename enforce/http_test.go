package enforce

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestHandler(t *testing.T) {
	s := newTestState(t)
	s.ApplyObservation(obs("acme", at(0), crit)) // level 1
	s.ApplyObservation(obs("a/b", at(0), high))  // level 0, 5 points
	s.ApplyObservation(obs("calm", at(0)))
	srv := httptest.NewServer(Handler(s))
	defer srv.Close()
	get := func(path string, want int, into any) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
		if into != nil {
			if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
				t.Fatal(err)
			}
		}
	}
	var list ListPage
	get("/v1/providers", 200, &list)
	if list.Total != 3 || len(list.Providers) != 3 || list.Providers[0].Provider != "acme" || list.Providers[1].Provider != "a/b" || list.Stats.Records != 3 {
		t.Errorf("list %+v", list)
	}
	if len(list.Ladders) != 2 || list.Ladders[0].Ladder != "default" || list.Ladders[1].Ladder != "test" {
		t.Errorf("ladders %+v", list.Ladders)
	}
	get("/v1/providers?min_level=1", 200, &list)
	if list.Total != 1 || list.Providers[0].Level.Name != "one" || list.Providers[0].History != nil {
		t.Errorf("min_level: %+v", list)
	}
	get("/v1/providers?limit=1&offset=1", 200, &list)
	if list.Total != 3 || len(list.Providers) != 1 || list.Providers[0].Provider != "a/b" {
		t.Errorf("paging: %+v", list)
	}
	get("/v1/providers?jurisdiction=CN", 200, &list)
	if list.Total != 0 || list.Providers == nil {
		t.Errorf("other jurisdiction: %+v", list)
	}
	var page ProviderPage
	get("/v1/providers/acme", 200, &page)
	if len(page.Jurisdictions) != 1 || len(page.Jurisdictions[0].History) != 1 || page.Jurisdictions[0].History[0].To.Name != "one" || page.Jurisdictions[0].GraceUntil == nil {
		t.Errorf("provider page %+v", page)
	}
	get("/v1/providers/"+url.PathEscape("a/b"), 200, &page)
	if page.Provider != "a/b" || page.Jurisdictions[0].Points != 5 || len(page.Jurisdictions[0].OpenIncidents) != 1 {
		t.Errorf("escaped id: %+v", page)
	}
	get("/v1/providers/nobody", 404, nil)
	get("/v1/providers?limit=x", 400, nil)
	get("/v1/providers?min_level=-1", 400, nil)
	resp, err := http.Post(srv.URL+"/v1/providers", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}
