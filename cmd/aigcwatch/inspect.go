package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors/label/carrier"
	"github.com/aigcwatch/aigcwatch/record"
)

// inspectRecord is the subset of the content record v1 (docs/record.md) that inspect
// fills. Optional fields are omitted when unset, so an absent time stays absent (the
// judge then uses the processing time) rather than becoming the zero time.
type inspectRecord struct {
	ID                    string        `json:"id"`
	Time                  string        `json:"time,omitempty"`
	Jurisdiction          string        `json:"jurisdiction,omitempty"`
	Provider              string        `json:"provider,omitempty"`
	Role                  string        `json:"role,omitempty"`
	Modality              string        `json:"modality"`
	Labels                inspectLabels `json:"labels"`
	C2PA                  inspectC2PA   `json:"c2pa"`
	IPTCDigitalSourceType string        `json:"iptc_digital_source_type,omitempty"`
	Media                 inspectMedia  `json:"media"`
}

type inspectLabels struct {
	Implicit []record.ImplicitLabel `json:"implicit"` // [] when none: a reader ran and found nothing
}

// inspectC2PA is always written: {"present": false} says a reader looked and found no
// manifest, which differs from no c2pa at all (nobody looked). The other fields are
// record.C2PA's, from the manifest reader (detectors/label/c2pa), omitted when empty. The
// validation state is Unverified or Invalid, never Valid or Trusted: inspect checks the
// hard binding and the assertion hashes, not the signature (docs/inspect.md).
type inspectC2PA struct {
	Present            bool                    `json:"present"`
	ValidationState    string                  `json:"validation_state,omitempty"`
	StatusCodes        []string                `json:"status_codes,omitempty"`
	HardBinding        string                  `json:"hard_binding,omitempty"`
	Manifests          int                     `json:"manifests,omitempty"`
	ActiveManifest     string                  `json:"active_manifest,omitempty"`
	ClaimGenerator     string                  `json:"claim_generator,omitempty"`
	ClaimGeneratorInfo *record.ClaimGenerator  `json:"claim_generator_info,omitempty"`
	SignerOrg          string                  `json:"signer_org,omitempty"`
	When               string                  `json:"when,omitempty"`
	InstanceID         string                  `json:"instance_id,omitempty"`
	Actions            []record.C2PAAction     `json:"actions,omitempty"`
	Ingredients        []record.C2PAIngredient `json:"ingredients,omitempty"`
	AllActionsIncluded *bool                   `json:"all_actions_included,omitempty"`
	RemoteManifest     string                  `json:"remote_manifest,omitempty"`
}

func newInspectC2PA(c *record.C2PA) inspectC2PA {
	return inspectC2PA{Present: c.Present, ValidationState: c.ValidationState, StatusCodes: c.StatusCodes,
		HardBinding: c.HardBinding, Manifests: c.Manifests, ActiveManifest: c.ActiveManifest,
		ClaimGenerator: c.ClaimGenerator, ClaimGeneratorInfo: c.ClaimGeneratorInfo, SignerOrg: c.SignerOrg, When: c.When, InstanceID: c.InstanceID,
		Actions: c.Actions, Ingredients: c.Ingredients, AllActionsIncluded: c.AllActionsIncluded, RemoteManifest: c.RemoteManifest}
}

type inspectMedia struct {
	MIME      string  `json:"mime"`
	SHA256    string  `json:"sha256"`
	Width     int     `json:"width,omitempty"`
	Height    int     `json:"height,omitempty"`
	DurationS float64 `json:"duration_s,omitempty"`
}

// runInspect implements `aigcwatch inspect [flags] FILE...`: for each file in a format
// package carrier reads (images, video, audio, PDF, DOCX) it prints one content record
// (JSONL) with the implicit labels found in the file's metadata, the IPTC digital source
// type, the C2PA manifest (read and checked without trust: state Unverified or Invalid),
// the media hash, MIME type and size, so that `aigcwatch inspect *.png | aigcwatch scan`
// judges real files.
// A file that cannot be read, is not a supported format or is truncated or malformed gets
// an error line on stderr naming it and no record; the exit status is then 1. "-" reads
// stdin (its id is then always the sha256).
func runInspect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("inspect", "FILE...  (- reads stdin)", stderr)
	idMode := fs.String("id", "path", "record id: path (the argument as given) or sha256 (of the file bytes)")
	jurisdiction := fs.String("jurisdiction", "", "set the records' jurisdiction, e.g. CN (default: none, the judge's default applies)")
	role := fs.String("role", "", "set the records' role: provider or platform")
	provider := fs.String("provider", "", "set the records' provider")
	at := fs.String("time", "", "set the records' time, RFC 3339 (default: none, the judge uses the processing time)")
	maxBytes := fs.Int64("max-bytes", carrier.DefaultLimits.MaxFileBytes, "refuse files larger than this many bytes")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "aigcwatch inspect: "+format+"\n", a...)
		return exitUsage
	}
	if len(files) == 0 {
		fs.Usage()
		return exitUsage
	}
	if *idMode != "path" && *idMode != "sha256" {
		return usageErr("--id %q: want path or sha256", *idMode)
	}
	if *maxBytes <= 0 {
		return usageErr("--max-bytes %d: want a positive size", *maxBytes)
	}
	if *at != "" {
		if _, err := time.Parse(time.RFC3339Nano, *at); err != nil {
			return usageErr("--time %q: want RFC 3339 with a zone, e.g. 2026-03-14T09:21:07+08:00", *at)
		}
	}
	// The flags go into every record: check them once with the record's own validation.
	probe := inspectRecord{ID: "probe", Time: *at, Jurisdiction: *jurisdiction, Role: *role, Provider: *provider, Modality: record.Image}
	if _, err := encodeRecord(&probe); err != nil {
		return usageErr("%v", err)
	}

	lim := carrier.Limits{MaxFileBytes: *maxBytes}
	out := bufio.NewWriter(stdout)
	status := exitOK
	stdinUsed := false
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(stderr, "aigcwatch inspect: %v\n", err)
			status = exitFailed
			break
		}
		var data []byte
		if path == "-" {
			if stdinUsed {
				fmt.Fprintln(stderr, "aigcwatch inspect: -: stdin given more than once")
				status = exitFailed
				continue
			}
			stdinUsed = true
			data, err = carrier.ReadAll(stdin, *maxBytes)
		} else {
			data, err = carrier.ReadFile(path, *maxBytes)
		}
		var res *carrier.Result
		if err == nil {
			res, err = carrier.Read(data, lim)
		}
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch inspect: %s: %v\n", path, err)
			status = exitFailed
			continue
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(stderr, "aigcwatch inspect: %s: warning: %s\n", path, w)
		}
		sum := sha256.Sum256(data)
		hexSum := hex.EncodeToString(sum[:])
		rec := inspectRecord{
			ID: path, Time: *at, Jurisdiction: *jurisdiction, Provider: *provider, Role: *role,
			Modality:              res.Modality,
			Labels:                inspectLabels{Implicit: res.Labels},
			C2PA:                  newInspectC2PA(res.C2PARecord()),
			IPTCDigitalSourceType: res.IPTCDigitalSourceType,
			Media:                 inspectMedia{MIME: res.MIME, SHA256: hexSum, Width: res.Width, Height: res.Height, DurationS: res.DurationS},
		}
		if *idMode == "sha256" || path == "-" {
			rec.ID = hexSum
		}
		line, err := encodeRecord(&rec)
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch inspect: %s: %v\n", path, err)
			status = exitFailed
			continue
		}
		out.Write(line)
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "aigcwatch inspect: %v\n", err)
		status = exitFailed
	}
	return status
}

// encodeRecord writes r as one JSON line and checks it decodes as a valid record, so
// inspect never prints a line that scan would reject (an id over 256 bytes, a bad
// jurisdiction, more carriers than the record allows).
func encodeRecord(r *inspectRecord) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep &quot; in XMP labels readable; JSON is the same either way
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	var check record.Record
	if err := record.Decode(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), record.DefaultLimits, &check); err != nil {
		return nil, fmt.Errorf("the record would be rejected: %w", err)
	}
	return buf.Bytes(), nil
}
