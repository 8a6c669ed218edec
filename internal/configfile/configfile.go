// Package configfile decodes the YAML configuration files of `aigcwatch run` and `aigcwatch
// serve` strictly: an unknown key is an error, so a typo cannot silently leave a default in
// place.
package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// Load decodes the YAML file at path over v (a pointer to a config struct).
func Load(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return Decode(path, b, v)
}

// Decode decodes YAML from b (named name in errors) over v, strictly. An empty document
// leaves v as it is.
func Decode(name string, b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	return nil
}
