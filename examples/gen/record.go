package main

// The record shape written to the stream: the JSON of record.Record (record/record.go),
// with omitempty so that absent facts are absent and not zero. Pointers to bool keep
// false (a platform that asked and was told "no" is not one that never asked).

type rec struct {
	ID           string        `json:"id"`
	Time         string        `json:"time,omitempty"`
	Jurisdiction string        `json:"jurisdiction,omitempty"`
	Provider     string        `json:"provider,omitempty"`
	Service      string        `json:"service,omitempty"`
	Platform     string        `json:"platform,omitempty"`
	Role         string        `json:"role,omitempty"`
	Account      string        `json:"account,omitempty"`
	Modality     string        `json:"modality,omitempty"`
	Text         string        `json:"text,omitempty"`
	Language     string        `json:"language,omitempty"`
	DeclaredAI   *bool         `json:"declared_ai,omitempty"`
	Labels       *labels       `json:"labels,omitempty"`
	Watermark    *watermark    `json:"watermark,omitempty"`
	C2PA         *c2pa         `json:"c2pa,omitempty"`
	IPTC         string        `json:"iptc_digital_source_type,omitempty"`
	Media        *media        `json:"media,omitempty"`
	Signals      *signals      `json:"signals,omitempty"`
	Distribution *distribution `json:"distribution,omitempty"`
	Export       *export       `json:"export,omitempty"`
	Moderation   *moderation   `json:"moderation,omitempty"`
	ProviderInfo *providerInfo `json:"provider_info,omitempty"`
	Context      *context      `json:"context,omitempty"`
}

type labels struct {
	Explicit  *explicit  `json:"explicit,omitempty"`
	Implicit  []implicit `json:"implicit,omitempty"`
	Interface *bool      `json:"interface,omitempty"`
}

type explicit struct {
	Present   bool    `json:"present"`
	Text      string  `json:"text,omitempty"`
	Type      string  `json:"type,omitempty"`
	Position  string  `json:"position,omitempty"`
	SizeRatio float64 `json:"size_ratio,omitempty"`
	StartS    float64 `json:"start_s,omitempty"`
	DurationS float64 `json:"duration_s,omitempty"`
}

type implicit struct {
	Carrier string `json:"carrier"`
	Path    string `json:"path,omitempty"`
	Raw     string `json:"raw"`
	Offset  int64  `json:"offset,omitempty"`
}

type watermark struct {
	Detected bool   `json:"detected"`
	Vendor   string `json:"vendor,omitempty"`
	Payload  string `json:"payload,omitempty"`
}

type c2pa struct {
	Present            bool             `json:"present"`
	ValidationState    string           `json:"validation_state,omitempty"`
	StatusCodes        []string         `json:"status_codes,omitempty"`
	ClaimGenerator     string           `json:"claim_generator,omitempty"`
	ClaimGeneratorInfo *claimGenerator  `json:"claim_generator_info,omitempty"`
	SignerOrg          string           `json:"signer_org,omitempty"`
	When               string           `json:"when,omitempty"`
	InstanceID         string           `json:"instance_id,omitempty"`
	Actions            []c2paAction     `json:"actions,omitempty"`
	Ingredients        []c2paIngredient `json:"ingredients,omitempty"`
	AllActionsIncluded *bool            `json:"all_actions_included,omitempty"`
}

type claimGenerator struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type c2paAction struct {
	Action            string `json:"action"`
	DigitalSourceType string `json:"digital_source_type,omitempty"`
	SoftwareAgent     string `json:"software_agent,omitempty"`
	When              string `json:"when,omitempty"`
}

type c2paIngredient struct {
	Relationship       string   `json:"relationship"`
	DigitalSourceTypes []string `json:"digital_source_types,omitempty"`
}

type media struct {
	MIME       string  `json:"mime"`
	SHA256     string  `json:"sha256,omitempty"`
	PDQ        string  `json:"pdq,omitempty"`
	PDQQuality *int    `json:"pdq_quality,omitempty"`
	Width      int     `json:"width,omitempty"`
	Height     int     `json:"height,omitempty"`
	DurationS  float64 `json:"duration_s,omitempty"`
	Software   string  `json:"software,omitempty"`
}

type signals struct {
	AIScore           *float64 `json:"ai_score,omitempty"`
	DeepfakeScore     *float64 `json:"deepfake_score,omitempty"`
	DepictsRealPerson *bool    `json:"depicts_real_person,omitempty"`
	Intimate          *bool    `json:"intimate,omitempty"`
	MinorSuspected    *bool    `json:"minor_suspected,omitempty"`
	Consent           *bool    `json:"consent,omitempty"`
	FaceSwap          *bool    `json:"face_swap,omitempty"`
	VoiceClone        *bool    `json:"voice_clone,omitempty"`
	Realistic         *bool    `json:"realistic,omitempty"`
}

type distribution struct {
	Notice       string     `json:"notice,omitempty"`
	PlatformCode string     `json:"platform_code,omitempty"`
	ContentID    string     `json:"content_id,omitempty"`
	OutputLabels []implicit `json:"output_labels,omitempty"`
	Processed    bool       `json:"processed,omitempty"`
}

type export struct {
	RequestedWithoutLabel bool   `json:"requested_without_label"`
	UserRequestID         string `json:"user_request_id,omitempty"`
	AgreementVersion      string `json:"agreement_version,omitempty"`
	LogRetentionUntil     string `json:"log_retention_until,omitempty"`
}

type moderation struct {
	Verdict      string   `json:"verdict"`
	ActionsTaken []string `json:"actions_taken,omitempty"`
	ReportTicket string   `json:"report_ticket,omitempty"`
}

type providerInfo struct {
	Filed          *bool  `json:"filed,omitempty"`
	MAU            int64  `json:"mau,omitempty"`
	PlacedOnMarket string `json:"placed_on_market,omitempty"`
	CAAccessible   *bool  `json:"ca_accessible,omitempty"`
	Country        string `json:"country,omitempty"`
}

type context struct {
	PublicInterest    *bool  `json:"public_interest,omitempty"`
	EditorialReviewBy string `json:"editorial_review_by,omitempty"`
	PoliticalAd       *bool  `json:"political_ad,omitempty"`
	Disclaimer        string `json:"disclaimer,omitempty"`
	Artistic          *bool  `json:"artistic,omitempty"`
	Interactive       *bool  `json:"interactive,omitempty"`
	DeepSynthesis     *bool  `json:"deep_synthesis,omitempty"`
}

func yes() *bool { t := true; return &t }
func no() *bool  { f := false; return &f }

func score(v float64) *float64 { return &v }
