package route

import (
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Holder holds the running routing tree of a file and reloads it. Readers call Tree,
// which never blocks; a reload that fails keeps the running tree. Safe for concurrent use.
type Holder struct {
	path string
	log  *slog.Logger
	cur  atomic.Pointer[Tree]
	ok   atomic.Bool

	lastOK prometheus.Gauge
	hash   prometheus.Gauge
}

// NewHolder loads path; the first load must succeed. Metrics
// aigcwatch_routes_config_last_reload_successful and aigcwatch_routes_config_hash are
// registered on reg (nil: none).
func NewHolder(path string, reg prometheus.Registerer, log *slog.Logger) (*Holder, error) {
	if log == nil {
		log = slog.Default()
	}
	h := &Holder{path: path, log: log.With("component", "routes"),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "aigcwatch_routes_config_last_reload_successful",
			Help: "Whether the last reload of the routing file succeeded (1) or kept the old routes (0)."}),
		hash: prometheus.NewGauge(prometheus.GaugeOpts{Name: "aigcwatch_routes_config_hash",
			Help: "The first 48 bits of the running routing file's sha256 (and its secrets), as a number."}),
	}
	t, err := Load(path)
	if err != nil {
		return nil, err
	}
	if reg != nil {
		reg.MustRegister(h.lastOK, h.hash)
	}
	h.set(t)
	return h, nil
}

// Tree returns the running tree.
func (h *Holder) Tree() *Tree { return h.cur.Load() }

// LastReloadOK reports whether the last load succeeded.
func (h *Holder) LastReloadOK() bool { return h.ok.Load() }

// Reload loads the file again and swaps the tree in if it is valid; on any problem the
// running tree stays and the problems are returned (and logged).
func (h *Holder) Reload() error {
	t, err := Load(h.path)
	if err != nil {
		h.ok.Store(false)
		h.lastOK.Set(0)
		h.log.Error("routing file reload failed; the running routes stay", "path", h.path, "err", err)
		return err
	}
	if t.Hash == h.Tree().Hash {
		h.ok.Store(true)
		h.lastOK.Set(1)
		return nil
	}
	h.set(t)
	h.log.Info("routing file reloaded", "path", h.path, "receivers", len(t.Names), "hash", t.Hash[:12])
	return nil
}

func (h *Holder) set(t *Tree) {
	h.cur.Store(t)
	h.ok.Store(true)
	h.lastOK.Set(1)
	if n, err := strconv.ParseUint(t.Hash[:12], 16, 64); err == nil {
		h.hash.Set(float64(n))
	}
}
