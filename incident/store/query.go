package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits of a history page.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ErrBadQuery wraps every problem with a query (unknown parameter, bad time, bad cursor).
var ErrBadQuery = errors.New("store: bad query")

// Query selects incidents from the history: every non-empty field must match; Since is
// inclusive, Until exclusive. Pages run newest first; Cursor continues from a page's Next.
type Query struct {
	Provider, Jurisdiction, Authority, Rule, Layer, Severity, Decision, Pack string
	Since, Until                                                             time.Time
	Limit                                                                    int
	Cursor                                                                   string
}

// Page is one page of incidents, newest first.
type Page struct {
	Incidents []json.RawMessage `json:"incidents"`
	// Next continues the listing; empty on the last page.
	Next string `json:"next_cursor,omitempty"`
}

// Find runs q.
func (s *Store) Find(ctx context.Context, q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		return Page{}, fmt.Errorf("%w: limit %d: at most %d", ErrBadQuery, limit, MaxLimit)
	}
	var where []string
	var args []any
	for _, f := range []struct{ col, v string }{{"provider", q.Provider}, {"jurisdiction", q.Jurisdiction}, {"authority", q.Authority},
		{"rule", q.Rule}, {"layer", q.Layer}, {"severity", q.Severity}, {"decision", q.Decision}, {"pack", q.Pack}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if !q.Since.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		where = append(where, "time < ?")
		args = append(args, q.Until.UnixNano())
	}
	if q.Cursor != "" {
		t, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, err
		}
		where = append(where, "(time < ? OR (time = ? AND id < ?))")
		args = append(args, t, t, id)
	}
	sqlq := "SELECT id, time, event FROM incidents"
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	sqlq += " ORDER BY time DESC, id DESC LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return Page{}, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	p := Page{Incidents: []json.RawMessage{}}
	var lastT int64
	var lastID string
	for rows.Next() {
		var id string
		var t int64
		var ev []byte
		if err := rows.Scan(&id, &t, &ev); err != nil {
			return Page{}, err
		}
		if len(p.Incidents) == limit {
			p.Next = encodeCursor(lastT, lastID)
			break
		}
		p.Incidents = append(p.Incidents, ev)
		lastT, lastID = t, id
	}
	return p, rows.Err()
}

func encodeCursor(t int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t, 10) + ":" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		ts, id, ok := strings.Cut(string(b), ":")
		if t, err := strconv.ParseInt(ts, 10, 64); ok && err == nil {
			return t, id, nil
		}
	}
	return 0, "", fmt.Errorf("%w: cursor %q: not one this server gave", ErrBadQuery, c)
}

// Get returns one incident event by id.
func (s *Store) Get(ctx context.Context, id string) (json.RawMessage, error) {
	var ev []byte
	err := s.db.QueryRowContext(ctx, `SELECT event FROM incidents WHERE id = ?`, id).Scan(&ev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return ev, nil
}

// ParseQuery reads a Query from URL parameters: provider, jurisdiction, authority, rule,
// layer, severity, decision, pack, since and until (RFC 3339), limit, cursor. Every
// problem is reported; unknown parameters are problems.
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	var errs []error
	fields := map[string]*string{"provider": &q.Provider, "jurisdiction": &q.Jurisdiction, "authority": &q.Authority,
		"rule": &q.Rule, "layer": &q.Layer, "severity": &q.Severity, "decision": &q.Decision, "pack": &q.Pack, "cursor": &q.Cursor}
	for k, vals := range v {
		val := vals[len(vals)-1]
		if p, ok := fields[k]; ok {
			*p = val
			continue
		}
		switch k {
		case "since", "until":
			t, err := time.Parse(time.RFC3339Nano, val)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q: want an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", k, val))
			} else if k == "since" {
				q.Since = t
			} else {
				q.Until = t
			}
		case "limit":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > MaxLimit {
				errs = append(errs, fmt.Errorf("limit: %q: want 1 to %d", val, MaxLimit))
			}
			q.Limit = n
		default:
			errs = append(errs, fmt.Errorf("%s: unknown parameter (want provider, jurisdiction, authority, rule, layer, severity, decision, pack, since, until, limit, cursor)", k))
		}
	}
	if len(errs) > 0 {
		return q, fmt.Errorf("%w: %w", ErrBadQuery, errors.Join(errs...))
	}
	return q, nil
}

// Handler serves the history API:
//
//	GET /v1/incidents?provider=&jurisdiction=&authority=&rule=&layer=&severity=&decision=&pack=&since=&until=&limit=&cursor=
//	    200 {"incidents":[CloudEvent...],"next_cursor":"..."} newest first; 400 with every problem
//	GET /v1/incidents/{id}
//	    200 the CloudEvent; 404
//
// Mount it at /v1/incidents and /v1/incidents/ (or at /).
func (s *Store) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/incidents", func(w http.ResponseWriter, r *http.Request) {
		q, err := ParseQuery(r.URL.Query())
		var p Page
		if err == nil {
			p, err = s.Find(r.Context(), q)
		}
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, ErrBadQuery) {
				status = http.StatusBadRequest
			}
			writeJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("GET /v1/incidents/{id}", func(w http.ResponseWriter, r *http.Request) {
		ev, err := s.Get(r.Context(), r.PathValue("id"))
		switch {
		case errors.Is(err, ErrNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no incident with this id"})
		case err != nil:
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		default:
			w.Header().Set("Content-Type", "application/cloudevents+json")
			w.Write(ev)
		}
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
