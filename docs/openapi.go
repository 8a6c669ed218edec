// Package docs holds documents the binary serves: the OpenAPI document of `aigcwatch
// serve` (openapi.yaml beside this file, the one the tests validate the server against).
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
