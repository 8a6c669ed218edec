package enforce

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Handler serves the providers' enforcement state, read-only, as JSON:
//
//	GET /v1/providers[?jurisdiction=CN&min_level=1&limit=100&offset=0]
//	GET /v1/providers/{id}
//
// The list is sorted highest level first (then points, provider, jurisdiction) and
// paged (limit defaults to 100, at most 10000). A provider's page has its level,
// points and next threshold, rates against the appetite, open incidents and the
// history of its level changes with their reasons, per jurisdiction; 404 if never
// seen. Mount it on a listener's mux at "/v1/providers" and "/v1/providers/".
func Handler(s *State) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/providers", func(w http.ResponseWriter, r *http.Request) { listProviders(s, w, r) })
	mux.HandleFunc("GET /v1/providers/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		views := s.Provider(id)
		if len(views) == 0 {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "provider " + strconv.Quote(id) + " has not been seen"})
			return
		}
		writeJSON(w, http.StatusOK, ProviderPage{Provider: id, Jurisdictions: views})
	})
	return mux
}

// ProviderPage is the body of GET /v1/providers/{id}.
type ProviderPage struct {
	Provider      string `json:"provider"`
	Jurisdictions []View `json:"jurisdictions"`
}

// ListPage is the body of GET /v1/providers.
type ListPage struct {
	Providers []View       `json:"providers"`
	Total     int          `json:"total"` // matching providers, before paging
	Offset    int          `json:"offset"`
	Limit     int          `json:"limit"`
	Stats     Stats        `json:"stats"`
	Ladders   []LadderInfo `json:"ladders"`
}

// LadderInfo describes a ladder in force.
type LadderInfo struct {
	Ladder        string     `json:"ladder"`
	Pack          string     `json:"pack"`
	Version       string     `json:"version"`
	Jurisdictions []string   `json:"jurisdictions"`
	Levels        []Level    `json:"levels"`
	Categories    []Category `json:"appetite,omitempty"`
	Window        string     `json:"window"`
	Grace         string     `json:"grace"`
	Compliant     string     `json:"compliant_period"`
}

// Ladders describes the ladders in force, default first.
func (s *State) Ladders() []LadderInfo {
	var out []LadderInfo
	for _, p := range s.Policies().All() {
		out = append(out, LadderInfo{Ladder: p.Ladder, Pack: p.Pack, Version: p.Version, Jurisdictions: p.Jurisdictions, Levels: p.Levels,
			Categories: p.Categories, Window: p.Window.String(), Grace: p.Grace.String(), Compliant: p.CompliantPeriod.String()})
	}
	return out
}

const maxLimit = 10000

func listProviders(s *State, w http.ResponseWriter, r *http.Request) {
	q := Query{Jurisdiction: r.URL.Query().Get("jurisdiction"), Limit: 100}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"min_level", &q.MinLevel, 255}, {"limit", &q.Limit, maxLimit}, {"offset", &q.Offset, 1 << 30}} {
		v := r.URL.Query().Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > p.max {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": p.name + ": want an integer from 0 to " + strconv.Itoa(p.max)})
			return
		}
		*p.dst = n
	}
	if q.Limit == 0 {
		q.Limit = 100
	}
	views, total := s.Views(q)
	if views == nil {
		views = []View{}
	}
	writeJSON(w, http.StatusOK, ListPage{Providers: views, Total: total, Offset: q.Offset, Limit: q.Limit, Stats: s.Stats(), Ladders: s.Ladders()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing to do
}
