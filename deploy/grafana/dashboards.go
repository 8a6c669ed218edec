// Package grafana builds aigcwatch's Grafana dashboards as code, with the Grafana
// Foundation SDK: Dashboards returns them and the generated JSON is committed under
// dashboards/ (TestDashboardsUpToDate regenerates it and fails on any difference; run
// `go test ./deploy/grafana -update` after changing this file). provisioning/ holds the
// Grafana provisioning files. Every panel query is evaluated against a live Prometheus
// scraping `aigcwatch run` by cmd/aigcwatch's TestObservabilityEndToEnd.
//
// Every panel reads the datasource variable ${DS}, so the dashboards work with whichever
// Prometheus datasource a Grafana has.
package grafana

// The SDK marks its classic dashboard builder deprecated in favour of the v2 schema
// (dashboardv2), which Grafana loads only from version 12 with the v2 APIs enabled; file
// provisioning and most installed Grafanas read the classic JSON model, so it stays.
//lint:file-ignore SA1019 the classic dashboard JSON model is what file provisioning loads

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// ds is the datasource every panel and variable uses: the ${DS} variable.
var ds = dashboard.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${DS}")}

func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend).Datasource(ds)
}

func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeTable).
		Placement(common.LegendPlacementRight).Calcs([]string{"mean", "lastNotNull"})
}

// ts is a time series panel, w of 24 columns wide, h rows high.
func ts(title, desc, unit string, w, h uint32, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Description(desc).Unit(unit).Datasource(ds).Span(w).Height(h).
		Min(0).Legend(legend()).FillOpacity(10).LineWidth(1).ShowPoints(common.VisibilityModeNever)
	for _, q := range qs {
		p.WithTarget(q)
	}
	return p
}

// bars is a horizontal bar gauge of instant values (top lists).
func bars(title, desc, unit string, w, h uint32, q *prometheus.DataqueryBuilder) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().Title(title).Description(desc).Unit(unit).Datasource(ds).Span(w).Height(h).Min(0).
		Orientation(common.VizOrientationHorizontal).DisplayMode(common.BarGaugeDisplayModeBasic).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		WithTarget(q.Instant())
}

func single(title, desc, unit string, w, h uint32, q *prometheus.DataqueryBuilder) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(desc).Unit(unit).Datasource(ds).Span(w).Height(h).
		GraphMode(common.BigValueGraphModeArea).ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		WithTarget(q)
}

func dsVariable() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder("DS").Label("Prometheus").Type("prometheus")
}

func labelVariable(name, label, q string, all bool) *dashboard.QueryVariableBuilder {
	v := dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(ds).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(1)
	if all {
		v.Multi(true).IncludeAll(true).AllValue(".*").Current(dashboard.VariableOption{
			Selected: cog.ToPtr(true), Text: dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
			Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}}})
	}
	return v
}

func base(uid, title, desc string, tags ...string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).Uid(uid).Description(desc).Tags(append([]string{"aigcwatch"}, tags...)).
		Refresh("30s").Time("now-1h", "now").Timezone(common.TimeZoneBrowser).Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dsVariable())
}

// J is the jurisdiction filter of the supervisor dashboards.
const J = `jurisdiction=~"$jurisdiction"`

// labelChecks matches the rules that are label and provenance checks: their ids are the
// check ids of LABELING.md (CN-IMP-04, EU-50-2, US-CA-942, C2PA-01, …).
const labelChecks = `rule=~"CN-(IMP|EXP|PLAT|TAMPER|DS)-.*|EU-50-.*|EU-CoP-.*|US-CA-.*|C2PA-.*|X-CONSIST-.*"`

// Overview is the supervisors' overview.
func Overview() *dashboard.DashboardBuilder {
	return base("aigcwatch-overview", "aigcwatch / Supervisor overview",
		"What AI-generated content went out, per jurisdiction and provider: unlabeled AIGC, label-check failures, deepfakes, incidents and decisions.", "supervisor").
		WithVariable(labelVariable("jurisdiction", "Jurisdiction", "label_values(aigcwatch_records_judged_total, jurisdiction)", true)).
		WithRow(dashboard.NewRowBuilder("At a glance")).
		WithPanel(single("Records judged", "Records judged over the dashboard's time range.", "short", 6, 4,
			query(`sum(increase(aigcwatch_records_judged_total{`+J+`}[$__range]))`, "records"))).
		WithPanel(single("Unlabeled AIGC share", "Share of judged records with at least one unlabeled-AIGC finding over the time range.", "percentunit", 6, 4,
			query(`sum(increase(aigcwatch_provider_unlabeled_records_total{`+J+`}[$__range])) / sum(increase(aigcwatch_provider_records_total{`+J+`}[$__range]))`, "unlabeled"))).
		WithPanel(single("Incidents raised", "Incidents raised over the time range (all authorities).", "short", 6, 4,
			query(`sum(increase(aigcwatch_provider_incidents_total{`+J+`}[$__range]))`, "incidents"))).
		WithPanel(single("Blocked share", "Share of records whose decision was block.", "percentunit", 6, 4,
			query(`sum(increase(aigcwatch_records_judged_total{decision="block",`+J+`}[$__range])) / sum(increase(aigcwatch_records_judged_total{`+J+`}[$__range]))`, "blocked"))).
		WithRow(dashboard.NewRowBuilder("Labeling")).
		WithPanel(ts("Unlabeled AIGC share by jurisdiction", "Records with an unlabeled-AIGC finding (missing implicit or explicit label, missing disclosure) divided by records judged.", "percentunit", 12, 8,
			query(`sum by (jurisdiction) (rate(aigcwatch_provider_unlabeled_records_total{`+J+`}[$__rate_interval])) / sum by (jurisdiction) (rate(aigcwatch_provider_records_total{`+J+`}[$__rate_interval]))`, "{{jurisdiction}}"))).
		WithPanel(bars("Unlabeled AIGC share by provider (top 10)", "Providers with the highest share of unlabeled-AIGC records over the time range. Providers past the top-N label bound are counted as other.", "percentunit", 12, 8,
			query(`topk(10, sum by (provider) (increase(aigcwatch_provider_unlabeled_records_total{`+J+`}[$__range])) / sum by (provider) (increase(aigcwatch_provider_records_total{`+J+`}[$__range])))`, "{{provider}}"))).
		WithPanel(ts("Label-check failures by check id", "Label and provenance checks that failed and fired their rule (the rule id is the check id), per minute.", "short", 12, 8,
			query(`sum by (rule) (rate(aigcwatch_rules_fired_total{`+labelChecks+`}[$__rate_interval])) * 60`, "{{rule}}")).AxisLabel("failures / min")).
		WithPanel(ts("Label-check findings by category", "Failed, warned and inconclusive label and provenance checks as the label detector reports them (category label.<check>[.warn|.inconclusive]), per minute.", "short", 12, 8,
			query(`sum by (category) (rate(aigcwatch_findings_total{detector="label"}[$__rate_interval])) * 60`, "{{category}}")).AxisLabel("findings / min")).
		WithRow(dashboard.NewRowBuilder("Deepfakes and known content")).
		WithPanel(ts("Deepfake and known-content matches", "Matches against banks of known content (hash.*) and upstream deepfake, face-swap and voice-clone signals, per minute.", "short", 12, 8,
			query(`sum by (category) (rate(aigcwatch_findings_total{category=~"hash\\..*|signal\\.(deepfake|face_swap|voice_clone|synthesis_tool)"}[$__rate_interval])) * 60`, "{{category}}")).AxisLabel("matches / min")).
		WithPanel(bars("Deepfake records by provider (top 10)", "Records with a deepfake finding over the time range, by provider.", "short", 12, 8,
			query(`topk(10, sum by (provider) (increase(aigcwatch_provider_deepfake_records_total{`+J+`}[$__range])))`, "{{provider}}"))).
		WithRow(dashboard.NewRowBuilder("Incidents")).
		WithPanel(ts("Incidents by layer and severity", "Incidents raised per minute, by risk layer and severity.", "short", 12, 8,
			query(`sum by (layer, severity) (rate(aigcwatch_incidents_total[$__rate_interval])) * 60`, "{{layer}} / {{severity}}")).AxisLabel("incidents / min")).
		WithPanel(bars("Incidents by authority", "Incidents raised over the time range, by the authority they are reported to.", "short", 12, 8,
			query(`sum by (authority) (increase(aigcwatch_incidents_total[$__range]))`, "{{authority}}"))).
		WithPanel(bars("Top providers by incident rate", "Incidents per 100 records judged over the time range, for the 10 providers with the most.", "short", 12, 8,
			query(`topk(10, 100 * sum by (provider) (increase(aigcwatch_provider_incidents_total{`+J+`}[$__range])) / sum by (provider) (increase(aigcwatch_provider_records_total{`+J+`}[$__range])))`, "{{provider}}"))).
		WithPanel(ts("Findings no rule acted on", "Findings of categories that no fired rule named and no label check took as its input, per minute: what falls between the rule packs.", "short", 12, 8,
			query(`sum by (category) (rate(aigcwatch_findings_unhandled_total[$__rate_interval])) * 60`, "{{category}}")).AxisLabel("findings / min")).
		WithRow(dashboard.NewRowBuilder("Enforcement")).
		WithPanel(bars("Providers above the base enforcement level", "Each provider's level on its jurisdiction's enforcement ladder (docs/enforcement.md), for the 20 highest: 1 is the first step up (e.g. CN interview, EU corrective action request). Providers past the top-N label bound are counted as other.", "short", 12, 8,
			query(`topk(20, max by (provider, jurisdiction) (aigcwatch_provider_enforcement_level{`+J+`}))`, "{{provider}} ({{jurisdiction}})"))).
		WithPanel(ts("Providers by enforcement level", "How many providers stand at each level of their ladder (0 = the base), summed over the instances that own them: the pyramid over time.", "short", 12, 8,
			query(`sum by (level) (aigcwatch_enforcement_providers{`+J+`})`, "level {{level}}")).AxisLabel("providers")).
		WithRow(dashboard.NewRowBuilder("Decisions")).
		WithPanel(ts("Decisions over time", "Records judged per second, by decision.", "short", 24, 8,
			query(`sum by (decision) (rate(aigcwatch_records_judged_total{`+J+`}[$__rate_interval]))`, "{{decision}}")).AxisLabel("records / s"))
}

// Provider is the per-provider drill-down.
func Provider() *dashboard.DashboardBuilder {
	P := `provider=~"$provider"`
	return base("aigcwatch-provider", "aigcwatch / Provider drill-down",
		"One provider's records, unlabeled AIGC, deepfakes, incidents and the rules that fired, per jurisdiction.", "supervisor").
		WithVariable(labelVariable("jurisdiction", "Jurisdiction", "label_values(aigcwatch_provider_records_total, jurisdiction)", true)).
		WithVariable(labelVariable("provider", "Provider", `label_values(aigcwatch_provider_records_total{`+J+`}, provider)`, false)).
		WithPanel(single("Records judged", "The provider's records over the time range.", "short", 6, 4,
			query(`sum(increase(aigcwatch_provider_records_total{`+P+`,`+J+`}[$__range]))`, "records"))).
		WithPanel(single("Unlabeled AIGC share", "Share of the provider's records with an unlabeled-AIGC finding.", "percentunit", 6, 4,
			query(`sum(increase(aigcwatch_provider_unlabeled_records_total{`+P+`,`+J+`}[$__range])) / sum(increase(aigcwatch_provider_records_total{`+P+`,`+J+`}[$__range]))`, "unlabeled"))).
		WithPanel(single("Deepfake records", "The provider's records with a deepfake finding over the time range.", "short", 6, 4,
			query(`sum(increase(aigcwatch_provider_deepfake_records_total{`+P+`,`+J+`}[$__range]))`, "deepfakes"))).
		WithPanel(single("Incidents", "Incidents raised about the provider over the time range.", "short", 6, 4,
			query(`sum(increase(aigcwatch_provider_incidents_total{`+P+`,`+J+`}[$__range]))`, "incidents"))).
		WithPanel(single("Enforcement level", "The provider's level on its jurisdiction's enforcement ladder (0 = the base; docs/enforcement.md and GET /v1/providers/{id} say why). A provider past the top-N label bound shows 0 here.", "short", 6, 4,
			query(`max(aigcwatch_provider_enforcement_level{`+P+`,`+J+`}) or vector(0)`, "level"))).
		WithPanel(ts("Records by jurisdiction", "The provider's records judged per second, by jurisdiction.", "short", 12, 8,
			query(`sum by (jurisdiction) (rate(aigcwatch_provider_records_total{`+P+`,`+J+`}[$__rate_interval]))`, "{{jurisdiction}}")).AxisLabel("records / s")).
		WithPanel(ts("Unlabeled AIGC share by jurisdiction", "The provider's share of records with an unlabeled-AIGC finding.", "percentunit", 12, 8,
			query(`sum by (jurisdiction) (rate(aigcwatch_provider_unlabeled_records_total{`+P+`,`+J+`}[$__rate_interval])) / sum by (jurisdiction) (rate(aigcwatch_provider_records_total{`+P+`,`+J+`}[$__rate_interval]))`, "{{jurisdiction}}"))).
		WithPanel(ts("Deepfakes and incidents", "The provider's deepfake records and incidents per minute.", "short", 12, 8,
			query(`sum(rate(aigcwatch_provider_deepfake_records_total{`+P+`,`+J+`}[$__rate_interval])) * 60`, "deepfake records"),
			query(`sum(rate(aigcwatch_provider_incidents_total{`+P+`,`+J+`}[$__rate_interval])) * 60`, "incidents")).AxisLabel("per min")).
		WithPanel(bars("Label-check failures by check id", "The provider's failed label and provenance checks over the time range (rules fired whose id is the check id; all jurisdictions).", "short", 12, 8,
			query(`sort_desc(sum by (rule) (increase(aigcwatch_provider_rules_fired_total{`+P+`,`+labelChecks+`}[$__range])))`, "{{rule}}"))).
		WithPanel(bars("Rules fired", "Rules fired for the provider's records over the time range (all jurisdictions).", "short", 12, 8,
			query(`sort_desc(sum by (rule) (increase(aigcwatch_provider_rules_fired_total{`+P+`}[$__range])))`, "{{rule}}")))
}

// Pipeline is the operators' view.
func Pipeline() *dashboard.DashboardBuilder {
	I := `instance=~"$instance"`
	return base("aigcwatch-pipeline", "aigcwatch / Pipeline health",
		"Throughput, latency, Kafka lag, dead letters, reloads and per-detector time of the aigcwatch processes.", "operations").
		WithVariable(labelVariable("instance", "Instance", "label_values(aigcwatch_build_info, instance)", true)).
		WithPanel(ts("Throughput", "Records judged per second, by instance.", "short", 12, 8,
			query(`sum by (instance) (rate(aigcwatch_records_judged_total{`+I+`}[$__rate_interval]))`, "{{instance}}")).AxisLabel("records / s")).
		WithPanel(ts("Judging latency", "Time to judge one record (decode to encoded verdict): 50th and 99th percentiles.", "s", 12, 8,
			query(`histogram_quantile(0.5, sum by (le) (rate(aigcwatch_judge_duration_seconds_bucket{`+I+`}[$__rate_interval])))`, "p50"),
			query(`histogram_quantile(0.99, sum by (le) (rate(aigcwatch_judge_duration_seconds_bucket{`+I+`}[$__rate_interval])))`, "p99"))).
		WithPanel(ts("Produce-to-verdict latency", "From the input record's Kafka timestamp to its outputs acknowledged: 99th percentile.", "s", 12, 8,
			query(`histogram_quantile(0.99, sum by (le) (rate(aigcwatch_kafka_produce_to_verdict_seconds_bucket{`+I+`}[$__rate_interval])))`, "p99"))).
		WithPanel(ts("Consumer lag", "Records in each input partition after the last one whose outputs were acknowledged.", "short", 12, 8,
			query(`sum by (topic, partition) (aigcwatch_kafka_consumer_lag{`+I+`})`, "{{topic}}/{{partition}}")).AxisLabel("records")).
		WithPanel(ts("Dead letters by reason", "Records sent to the dead-letter output per minute, by reason.", "short", 12, 8,
			query(`sum by (reason) (rate(aigcwatch_dead_letters_total{`+I+`}[$__rate_interval])) * 60`, "{{reason}}")).AxisLabel("records / min")).
		WithPanel(ts("In flight", "Records fetched and not yet acknowledged, against the max_in_flight bound.", "short", 12, 8,
			query(`sum by (instance) (aigcwatch_kafka_in_flight_records{`+I+`})`, "{{instance}} in flight"),
			query(`sum by (instance) (aigcwatch_kafka_max_in_flight_records{`+I+`})`, "{{instance}} bound"))).
		WithPanel(ts("Kafka errors and rebalances", "Write, fetch and commit errors (each retried) and consumer group generations, per minute.", "short", 12, 8,
			query(`sum(rate(aigcwatch_kafka_write_errors_total{`+I+`}[$__rate_interval])) * 60`, "write errors"),
			query(`sum(rate(aigcwatch_kafka_fetch_errors_total{`+I+`}[$__rate_interval])) * 60`, "fetch errors"),
			query(`sum(rate(aigcwatch_kafka_commit_errors_total{`+I+`}[$__rate_interval])) * 60`, "commit errors"),
			query(`sum(increase(aigcwatch_kafka_generations_total{`+I+`}[$__rate_interval]))`, "generations joined")).AxisLabel("per min")).
		WithPanel(ts("Acknowledged and committed", "Input records whose outputs were acknowledged per second, and offset commits per minute.", "short", 12, 8,
			query(`sum(rate(aigcwatch_kafka_acked_total{`+I+`}[$__rate_interval]))`, "acked records / s"),
			query(`sum(rate(aigcwatch_kafka_commits_total{`+I+`}[$__rate_interval])) * 60`, "commits / min"))).
		WithPanel(ts("Enforcement on Kafka", "run with enforcement: observations counted by the owners, replays skipped (after a crash or rebalance), provider states written to the changelog and read back on assignment, per second; and the enforcement partitions each instance owns.", "short", 12, 8,
			query(`sum(rate(aigcwatch_enforcement_observations_applied_total{`+I+`}[$__rate_interval]))`, "observations applied / s"),
			query(`sum(rate(aigcwatch_enforcement_observations_replayed_total{`+I+`}[$__rate_interval]))`, "replays skipped / s"),
			query(`sum(rate(aigcwatch_enforcement_changelog_writes_total{`+I+`}[$__rate_interval]))`, "changelog writes / s"),
			query(`sum(increase(aigcwatch_enforcement_rebuilt_providers_total{`+I+`}[$__rate_interval]))`, "providers rebuilt"),
			query(`sum by (instance) (aigcwatch_enforcement_partitions{`+I+`})`, "{{instance}} partitions owned"))).
		WithPanel(ts("Per-detector time", "CPU cores spent in each detector (seconds per second, estimated from sampled calls).", "short", 12, 8,
			query(`sum by (detector) (rate(aigcwatch_detector_seconds_total{`+I+`}[$__rate_interval]))`, "{{detector}}")).AxisLabel("cores")).
		WithPanel(ts("Reloads", "Whether the last reload succeeded (1) and reload attempts by result.", "short", 12, 8,
			query(`min by (instance) (aigcwatch_config_last_reload_successful{`+I+`})`, "{{instance}} last reload ok"),
			query(`sum by (result) (increase(aigcwatch_config_reloads_total{`+I+`}[$__rate_interval]))`, "reloads {{result}}"))).
		WithPanel(bars("Rule set in use", "Checksum of the loaded rule set per instance: instances judging with different rules show different checksums.", "short", 12, 6,
			query(`count by (checksum) (aigcwatch_ruleset_info{`+I+`})`, "{{checksum}}"))).
		WithPanel(bars("Versions", "Instances per aigcwatch version.", "short", 12, 6,
			query(`count by (version, goversion) (aigcwatch_build_info{`+I+`})`, "{{version}} ({{goversion}})")))
}

// Dashboards returns every dashboard by file name (dashboards/NAME.json).
func Dashboards() (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, b := range map[string]*dashboard.DashboardBuilder{"overview": Overview(), "provider": Provider(), "pipeline": Pipeline()} {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("grafana: dashboard %s: %w", name, err)
		}
		js, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("grafana: dashboard %s: %w", name, err)
		}
		out[name] = append(js, '\n')
	}
	return out, nil
}
