package detectors

// LabelFacts are the structured facts the label detector derives from a record's labels,
// provenance and signals, for rules to read as `label.*`. The label detector owns the
// meaning of each field; see detectors/label.
type LabelFacts struct {
	// Analyzed is true when the label detector ran on the record.
	Analyzed bool `expr:"analyzed"`
}
