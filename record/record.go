// Package record defines the content record v1, the single input contract of aigcwatch
// for files, Kafka and HTTP, and its strict decoder. It is a leaf: it imports only the
// standard library and its JSON decoder (github.com/segmentio/encoding/json, a drop-in
// for encoding/json that decodes records 3-4x faster and names array indexes in error
// paths), so detectors, rules and transports share it without cycles.
//
// The decoder ignores unknown fields (producers may send more), but rejects wrong types,
// invalid UTF-8, out-of-range values and oversize input, naming the field at fault.
// docs/record.md documents every field.
package record

import "time"

// Modalities accepted in Record.Modality.
const (
	Text    = "text"
	Image   = "image"
	Audio   = "audio"
	Video   = "video"
	Virtual = "virtual"
	Other   = "other"
)

// Roles accepted in Record.Role: who submits the record.
const (
	RoleProvider = "provider" // the AIGC service provider (generation side)
	RolePlatform = "platform" // a distribution platform (CN 传播平台, EU deployer)
)

// Record is one piece of generated (or possibly generated) content with its metadata.
// Pointer fields are absent when nil; absent and false are different facts for the rules
// (a platform that never asked the user is not a user who said no).
type Record struct {
	ID           string    `json:"id" expr:"id"`
	Time         time.Time `json:"time" expr:"time"` // zero when absent
	Jurisdiction string    `json:"jurisdiction" expr:"jurisdiction"`
	Provider     string    `json:"provider" expr:"provider"`
	Service      string    `json:"service" expr:"service"`
	Platform     string    `json:"platform" expr:"platform"`
	Role         string    `json:"role" expr:"role"`
	Account      string    `json:"account" expr:"account"`
	Modality     string    `json:"modality" expr:"modality"`
	Text         string    `json:"text" expr:"text"`
	// Language is the declared language of Text, a BCP 47 tag (zh, en, pt-BR, zh-Hant);
	// "" when not declared. The degenerate-output detector compares it with the script
	// the text is written in.
	Language   string `json:"language" expr:"language"`
	DeclaredAI *bool  `json:"declared_ai" expr:"declared_ai"`
	// SelfReported is true when the provider itself reports this record as a failure
	// (it found and disclosed the problem): its incidents weigh less on the provider's
	// enforcement level (package enforce, docs/enforcement.md).
	SelfReported bool `json:"self_reported" expr:"self_reported"`

	Labels                Labels        `json:"labels" expr:"labels"`
	Watermark             *Watermark    `json:"watermark" expr:"watermark"`
	C2PA                  *C2PA         `json:"c2pa" expr:"c2pa"`
	IPTCDigitalSourceType string        `json:"iptc_digital_source_type" expr:"iptc_digital_source_type"`
	Media                 *Media        `json:"media" expr:"media"`
	Signals               Signals       `json:"signals" expr:"signals"`
	Distribution          *Distribution `json:"distribution" expr:"distribution"`
	Export                *Export       `json:"export" expr:"export"`
	Moderation            *Moderation   `json:"moderation" expr:"moderation"`
	ProviderInfo          *ProviderInfo `json:"provider_info" expr:"provider_info"`
	Context               Context       `json:"context" expr:"context"`
}

// Labels are the AIGC labels found on or around the content.
type Labels struct {
	Explicit *ExplicitLabel `json:"explicit" expr:"explicit"`
	// Implicit lists every implicit-label carrier found in the file (every metadata entry
	// whose key contains "AIGC"), with the raw string exactly as found. More than one
	// entry is itself a finding (GB 45438 §6.1 c).
	Implicit []ImplicitLabel `json:"implicit" expr:"implicit"`
	// Interface is true when a persistent label is shown in the interaction interface or
	// around the content (CN Measures Art. 4, "交互场景界面").
	Interface *bool `json:"interface" expr:"interface"`
}

// ExplicitLabel is a visible or audible label, as reported by an upstream OCR, ASR or
// renderer.
type ExplicitLabel struct {
	Present   bool    `json:"present" expr:"present"`
	Text      string  `json:"text" expr:"text"`
	Type      string  `json:"type" expr:"type"`         // text, voice, rhythm, graphic
	Position  string  `json:"position" expr:"position"` // start, end, middle, edge, corner, interface, surround
	SizeRatio float64 `json:"size_ratio" expr:"size_ratio"`
	StartS    float64 `json:"start_s" expr:"start_s"`
	DurationS float64 `json:"duration_s" expr:"duration_s"`
}

// ImplicitLabel is one implicit-label carrier: where it was found and its raw value.
type ImplicitLabel struct {
	Carrier string `json:"carrier" expr:"carrier"` // e.g. xmp:TC260:AIGC, id3:TXXX:AIGC, mp4:mdta:AIGC, riff:AIGC
	Path    string `json:"path" expr:"path"`
	Raw     string `json:"raw" expr:"raw"`
	Offset  int64  `json:"offset" expr:"offset"`
}

// Watermark is the result of an upstream watermark detector.
type Watermark struct {
	Detected bool   `json:"detected" expr:"detected"`
	Vendor   string `json:"vendor" expr:"vendor"`
	Payload  string `json:"payload" expr:"payload"`
}

// C2PA summarises a C2PA manifest store, as read by an upstream C2PA validator or by
// `aigcwatch inspect` (which checks integrity but not signatures: state Unverified).
type C2PA struct {
	Present            bool             `json:"present" expr:"present"`
	ValidationState    string           `json:"validation_state" expr:"validation_state"` // Invalid, Unverified, Valid, Trusted
	StatusCodes        []string         `json:"status_codes" expr:"status_codes"`
	ClaimGenerator     string           `json:"claim_generator" expr:"claim_generator"`
	ClaimGeneratorInfo *ClaimGenerator  `json:"claim_generator_info" expr:"claim_generator_info"`
	SignerOrg          string           `json:"signer_org" expr:"signer_org"`
	When               string           `json:"when" expr:"when"`
	InstanceID         string           `json:"instance_id" expr:"instance_id"`
	Actions            []C2PAAction     `json:"actions" expr:"actions"`
	Ingredients        []C2PAIngredient `json:"ingredients" expr:"ingredients"`
	AllActionsIncluded *bool            `json:"all_actions_included" expr:"all_actions_included"`
	// HardBinding is the outcome of the hard-binding check by a reader that made one:
	// match, mismatch, unchecked (a binding kind the reader does not verify) or missing.
	HardBinding string `json:"hard_binding" expr:"hard_binding"`
	// Manifests is the number of manifests in the store; ActiveManifest the active one's label.
	Manifests      int    `json:"manifests" expr:"manifests"`
	ActiveManifest string `json:"active_manifest" expr:"active_manifest"`
	// RemoteManifest is a remote manifest reference (XMP dcterms:provenance), as found;
	// it is reported, never fetched.
	RemoteManifest string `json:"remote_manifest" expr:"remote_manifest"`
}

// ClaimGenerator names the software that made a C2PA claim.
type ClaimGenerator struct {
	Name    string `json:"name" expr:"name"`
	Version string `json:"version" expr:"version"`
}

// C2PAAction is one entry of c2pa.actions / c2pa.actions.v2.
type C2PAAction struct {
	Action            string `json:"action" expr:"action"`
	DigitalSourceType string `json:"digital_source_type" expr:"digital_source_type"`
	SoftwareAgent     string `json:"software_agent" expr:"software_agent"`
	When              string `json:"when" expr:"when"`
}

// C2PAIngredient is one ingredient of the active manifest.
type C2PAIngredient struct {
	Relationship       string   `json:"relationship" expr:"relationship"`
	DigitalSourceTypes []string `json:"digital_source_types" expr:"digital_source_types"`
}

// Media describes the file behind a non-text record.
type Media struct {
	MIME       string  `json:"mime" expr:"mime"`
	SHA256     string  `json:"sha256" expr:"sha256"`
	PDQ        string  `json:"pdq" expr:"pdq"` // 64 hex digits
	PDQQuality *int    `json:"pdq_quality" expr:"pdq_quality"`
	Width      int     `json:"width" expr:"width"`
	Height     int     `json:"height" expr:"height"`
	DurationS  float64 `json:"duration_s" expr:"duration_s"`
	Software   string  `json:"software" expr:"software"` // e.g. EXIF Software, encoder tag
	// Data optionally carries the image bytes (base64 in JSON), for detectors that hash them.
	Data []byte `json:"data" expr:"data"`
}

// Signals are scores and flags computed upstream (classifiers, face matchers, moderators).
// Scores are in [0, 1]; nil means "not computed".
type Signals struct {
	AIScore           *float64 `json:"ai_score" expr:"ai_score"`
	DeepfakeScore     *float64 `json:"deepfake_score" expr:"deepfake_score"`
	DepictsRealPerson *bool    `json:"depicts_real_person" expr:"depicts_real_person"`
	Intimate          *bool    `json:"intimate" expr:"intimate"`
	MinorSuspected    *bool    `json:"minor_suspected" expr:"minor_suspected"`
	Consent           *bool    `json:"consent" expr:"consent"`
	FaceSwap          *bool    `json:"face_swap" expr:"face_swap"`
	VoiceClone        *bool    `json:"voice_clone" expr:"voice_clone"`
	Realistic         *bool    `json:"realistic" expr:"realistic"`
}

// Distribution is what a distribution platform did with the content (CN Measures Art. 6).
type Distribution struct {
	Notice       string          `json:"notice" expr:"notice"` // is, possibly, suspected, none
	PlatformCode string          `json:"platform_code" expr:"platform_code"`
	ContentID    string          `json:"content_id" expr:"content_id"`
	OutputLabels []ImplicitLabel `json:"output_labels" expr:"output_labels"`
	// Processed is true when the platform has already processed the file (a platform hop).
	Processed bool `json:"processed" expr:"processed"`
}

// Export describes a download or export of generated content (CN Measures Art. 4, 9).
type Export struct {
	RequestedWithoutLabel bool      `json:"requested_without_label" expr:"requested_without_label"`
	UserRequestID         string    `json:"user_request_id" expr:"user_request_id"`
	AgreementVersion      string    `json:"agreement_version" expr:"agreement_version"`
	LogRetentionUntil     time.Time `json:"log_retention_until" expr:"log_retention_until"`
}

// Moderation is an upstream moderation verdict and what was done about it.
type Moderation struct {
	Verdict      string   `json:"verdict" expr:"verdict"` // e.g. legal, illegal, harmful
	ActionsTaken []string `json:"actions_taken" expr:"actions_taken"`
	ReportTicket string   `json:"report_ticket" expr:"report_ticket"`
}

// ProviderInfo is what is known about the provider and its service.
type ProviderInfo struct {
	Filed          *bool     `json:"filed" expr:"filed"` // CN algorithm filing / registration
	MAU            int64     `json:"mau" expr:"mau"`
	PlacedOnMarket time.Time `json:"placed_on_market" expr:"placed_on_market"`
	CAAccessible   *bool     `json:"ca_accessible" expr:"ca_accessible"`
	Country        string    `json:"country" expr:"country"`
}

// Context is what the publisher says about the publication.
type Context struct {
	PublicInterest    *bool  `json:"public_interest" expr:"public_interest"`
	EditorialReviewBy string `json:"editorial_review_by" expr:"editorial_review_by"`
	PoliticalAd       *bool  `json:"political_ad" expr:"political_ad"`
	Disclaimer        string `json:"disclaimer" expr:"disclaimer"`
	Artistic          *bool  `json:"artistic" expr:"artistic"`
	Interactive       *bool  `json:"interactive" expr:"interactive"`
	// DeepSynthesis is true when the service falls under Deep Synthesis Provisions
	// Art. 17(1) (chat, writing, voice or face synthesis): explicit labels are required.
	DeepSynthesis *bool `json:"deep_synthesis" expr:"deep_synthesis"`
}
