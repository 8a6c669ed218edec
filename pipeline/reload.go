package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Reloader rebuilds a Processor's rules and detectors from a Config, off the hot path,
// and swaps them in only when everything built. On any failure the running rules and
// detectors stay. It is safe for concurrent use; reloads are serialised.
type Reloader struct {
	P   *Processor
	Cfg Config
	Log *slog.Logger
	// OnReload, if set, is called after each attempt (for metrics).
	OnReload func(ok bool, checksum string)

	mu       sync.Mutex
	checksum string
}

// Reload rebuilds and swaps. It returns the error that kept the old configuration.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, _, err := r.Cfg.LoadEngine()
	if err == nil {
		d, derr := r.Cfg.BuildDetectors()
		if derr != nil {
			err = derr
		} else {
			r.P.Swap(e, d)
			r.checksum = e.Info().Checksum
		}
	}
	if r.OnReload != nil {
		r.OnReload(err == nil, r.checksum)
	}
	log := r.logger()
	if err != nil {
		log.Error("reload failed, keeping the running rules and detectors", "component", "reload", "err", err)
		return err
	}
	log.Info("reloaded rules and detectors", "component", "reload", "ruleset", r.checksum)
	return nil
}

// Watch reloads when the rule packs, lexicon, bank or registry files change on disk (debounced), until
// ctx is done. Embedded defaults are not watched. It returns nil when there is nothing
// to watch.
func (r *Reloader) Watch(ctx context.Context, debounce time.Duration) error {
	paths := append(append(append([]string{}, r.Cfg.Lexicons...), r.Cfg.Banks...), r.Cfg.Registries...)
	if r.Cfg.Rules != "" {
		paths = append(paths, r.Cfg.Rules)
	}
	if len(paths) == 0 {
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("reload: watch: %w", err)
	}
	defer w.Close()
	for _, p := range paths {
		// Watch directories, not files: editors replace files by renaming.
		dir := p
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			dir = filepath.Dir(p)
		}
		if err := w.Add(dir); err != nil {
			return fmt.Errorf("reload: watch %s: %w", dir, err)
		}
	}
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("reload: watcher closed")
			}
			if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename|fsnotify.Remove) != 0 {
				timer = time.After(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("reload: watcher closed")
			}
			r.logger().Warn("watch error", "component", "reload", "err", err)
		case <-timer:
			timer = nil
			_ = r.Reload() // logged; the old configuration keeps running on failure
		}
	}
}

func (r *Reloader) logger() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}
