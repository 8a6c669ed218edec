package stream

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/segmentio/kafka-go"
)

// ParseLevel parses a log level name: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q: want debug, info, warn or error", s)
	}
	return l, nil
}

// NewLogger returns the logger described by c.LogLevel and c.LogFormat, writing to w.
func NewLogger(c *Config, w io.Writer) (*slog.Logger, error) {
	lvl, err := ParseLevel(c.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("config: log_level: %w", err)
	}
	opt := &slog.HandlerOptions{Level: lvl}
	switch c.LogFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opt)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opt)), nil
	}
	return nil, fmt.Errorf("config: log_format: %q: want text or json", c.LogFormat)
}

// kafkaLogger routes kafka-go's printf logging into slog at a fixed level, tagged with
// component=kafka-go so that its connection errors during a broker outage are visible
// next to ours.
// If quiet is set, messages are dropped while it returns true (a reader being closed on
// purpose reports its cancelled fetch as an error).
func kafkaLogger(log *slog.Logger, lvl slog.Level, quiet ...func() bool) kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		if !log.Enabled(context.Background(), lvl) || (len(quiet) > 0 && quiet[0]()) {
			return
		}
		log.Log(context.Background(), lvl, strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "kafka-go")
	})
}
