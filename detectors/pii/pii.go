// Package pii finds personal data in generated output (the element layer of risk):
// mainland China resident identity numbers, CN mobile and international (E.164, NANP)
// telephone numbers, payment card numbers, e-mail addresses, IBANs, US social security
// numbers and passport numbers.
//
// Every candidate is validated, not only pattern-matched: the resident ID's ISO 7064
// MOD 11-2 check character, region prefix and birth date; the card's Luhn digit, issuer
// prefix (IIN) and a length that issuer uses; the IBAN's country length and mod-97 check;
// the SSN's area, group and serial rules; the passport number's ICAO 9303 check digit
// when it comes in a machine-readable zone, else its national format next to the word
// "passport" or 护照. Numbers are read through full-width digits (０-９) and the
// separators people put inside them (space, hyphen, dot, ideographic space, full-width
// hyphen), and must stand alone: digits glued to letters or other digits are an
// identifier, not a number. Numbers right after an order, tracking, invoice or serial
// label, or a currency sign, are not read as personal data.
//
// Evidence is masked: a finding carries the byte offsets of the value in the text and a
// masked form of it (evidence.term, e.g. "138****5678"; evidence.detail says what it was
// validated with), never the value itself, so verdicts, incidents, logs and metrics built
// from findings cannot leak it. What it leaves
// out: names, postal addresses, dates of birth on their own, partial card numbers ("ends
// in 4242"), and numbers of other national ID schemes.
package pii

import (
	"context"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// Name is the detector's name in findings.
const Name = "pii"

// Categories of the findings this detector makes; every finding is element-layer.
const (
	CNResidentID = "pii.cn_resident_id" // 18-character mainland resident identity number
	CNMobile     = "pii.cn_mobile"      // mainland mobile number (+86 optional)
	Phone        = "pii.phone"          // other telephone number: E.164 (+CC...) or NANP (NPA) NXX-XXXX
	BankCard     = "pii.bank_card"      // payment card number (PAN)
	Email        = "pii.email"          // e-mail address
	IBAN         = "pii.iban"           // international bank account number
	USSSN        = "pii.us_ssn"         // US social security number
	Passport     = "pii.passport"       // passport number (MRZ or national format next to "passport"/护照)
)

// Categories lists every category, for lints and metrics.
var Categories = []string{CNResidentID, CNMobile, Phone, BankCard, Email, IBAN, USSSN, Passport}

// severities: identifiers that open accounts or identify a person uniquely are high;
// contact data is medium; e-mail addresses (often a business's own) are low.
var severities = map[string]detectors.Severity{
	CNResidentID: detectors.High, BankCard: detectors.High, IBAN: detectors.High, USSSN: detectors.High,
	Passport: detectors.High, CNMobile: detectors.Medium, Phone: detectors.Medium, Email: detectors.Low,
}

// checks says, in the evidence, what each category's value was validated with.
var checks = map[string]string{
	CNResidentID: "valid MOD 11-2 check character, region code and birth date", CNMobile: "allocated mobile segment",
	Phone: "valid E.164 or NANP number", BankCard: "valid Luhn digit, issuer prefix and length", Email: "address syntax",
	IBAN: "valid mod-97 check and country length", USSSN: "valid SSA area, group and serial",
	Passport: "passport format (MRZ check digits, or national format after \"passport\")",
}

// Detector reports personal data in a record's text. It has no state: safe for
// concurrent use, and it allocates only for the findings it makes (their masked values).
type Detector struct{}

// New returns a Detector.
func New() *Detector { return &Detector{} }

// Name implements detectors.Detector.
func (*Detector) Name() string { return Name }

// Detect implements detectors.Detector: one finding per value found in r.Text, with byte
// offsets into r.Text and the value masked in evidence.detail.
func (*Detector) Detect(_ context.Context, r *record.Record, res *detectors.Result) error {
	if r.Text == "" {
		return nil
	}
	Scan(r.Text, func(m Match) {
		res.Findings = append(res.Findings, detectors.Finding{
			Detector: Name, Category: m.Category, Severity: severities[m.Category], Layer: detectors.Element,
			Evidence: detectors.Evidence{Term: m.Masked, Start: m.Start, End: m.End, Detail: checks[m.Category]},
		})
	})
	return nil
}
