package exprlang

// Condition is one rule condition written in both languages; the two must agree on every
// record (TestLanguagesAgree checks it).
type Condition struct {
	Name string
	CEL  string
	Expr string
}

// Conditions are the benchmarked conditions (a–d of the brief, d twice; e is c on a clean record).
var Conditions = []Condition{
	{
		Name: "a_cn_unlabelled_visual",
		CEL:  `record.jurisdiction == "CN" && record.modality in ["image", "video"] && size(record.labels.implicit) == 0`,
		Expr: `record.jurisdiction == "CN" && record.modality in ["image", "video"] && len(record.labels.implicit) == 0`,
	},
	{
		Name: "b_intimate_deepfake",
		CEL:  `record.signals.deepfake_score >= 0.8 && record.signals.intimate`,
		Expr: `record.signals.deepfake_score >= 0.8 && record.signals.intimate`,
	},
	{
		Name: "c_violent_extremism",
		CEL:  `findings.exists(f, f.category == "violent_extremism" && f.severity >= 3)`,
		Expr: `any(findings, .category == "violent_extremism" && .severity >= 3)`,
	},
	{
		Name: "d_after_2026_08_02",
		CEL:  `record.time > timestamp("2026-08-02T00:00:00Z")`,
		Expr: `record.time > date("2026-08-02T00:00:00Z")`,
	},
	{
		// d again, with expr's constant-folded Timestamp helper instead of date().
		Name: "d_after_2026_08_02_folded",
		CEL:  `record.time > timestamp("2026-08-02T00:00:00Z")`,
		Expr: `record.time > Timestamp("2026-08-02T00:00:00Z")`,
	},
}
