// Package prometheus holds aigcwatch's Prometheus configuration: the scrape configuration
// (prometheus.yml), recording and alert rules (rules/) and their promtool unit tests
// (tests/). It has no Go code of its own: its test runs promtool, so that `make test` checks
// the rules (docs/observability.md).
package prometheus
