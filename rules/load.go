package rules

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadFS reads every *.yaml and *.yml file under root in fsys as a pack. Problems in any
// file are collected, not returned one by one: the error is a *LoadError listing all of
// them, with file and rule.
func LoadFS(fsys fs.FS, root string) ([]*Pack, error) {
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rules: reading %s: %w", root, err)
	}
	if len(files) == 0 {
		return nil, &LoadError{Problems: []Problem{{File: root, Msg: "no rule packs (*.yaml) found"}}}
	}
	sort.Strings(files)
	var packs []*Pack
	var problems []Problem
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			problems = append(problems, Problem{File: f, Msg: err.Error()})
			continue
		}
		p, probs := ParsePack(f, data)
		problems = append(problems, probs...)
		if p != nil {
			packs = append(packs, p)
		}
	}
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	return packs, nil
}

// LoadPath loads packs from a directory (every *.yaml in it, recursively) or one file.
func LoadPath(p string) ([]*Pack, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if st.IsDir() {
		packs, err := LoadFS(os.DirFS(p), ".")
		prefixFiles(packs, err, p)
		return packs, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	pk, probs := ParsePack(p, data)
	if len(probs) > 0 {
		return nil, &LoadError{Problems: probs}
	}
	return []*Pack{pk}, nil
}

func prefixFiles(packs []*Pack, err error, dir string) {
	for _, p := range packs {
		p.File = filepath.Join(dir, p.File)
	}
	var le *LoadError
	if errors.As(err, &le) {
		for i := range le.Problems {
			le.Problems[i].File = filepath.Join(dir, le.Problems[i].File)
		}
	}
}

// ParsePack decodes one pack strictly (unknown keys are errors) and checks its fields.
// Conditions are compiled later, by Compile, which reports their errors too.
func ParsePack(file string, data []byte) (*Pack, []Problem) {
	var p Pack
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []Problem{{File: file, Msg: "empty file"}}
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			probs := make([]Problem, 0, len(te.Errors))
			for _, e := range te.Errors {
				probs = append(probs, Problem{File: file, Msg: "yaml: " + e})
			}
			return nil, probs
		}
		return nil, []Problem{{File: file, Msg: err.Error()}}
	}
	p.File = file
	p.checksum = sha256.Sum256(data)
	var probs []Problem
	add := func(rule, format string, a ...any) {
		probs = append(probs, Problem{File: file, Rule: rule, Msg: fmt.Sprintf(format, a...)})
	}
	if p.Name == "" {
		add("", "pack: name is required")
	}
	if p.Version == "" {
		add("", "version is required")
	}
	if len(p.Jurisdictions) == 0 {
		add("", `jurisdictions is required (a list of codes, or ["*"] for every jurisdiction)`)
	}
	if len(p.Rules) == 0 && p.Enforcement == nil {
		add("", "a pack needs at least one rule (or an enforcement section)")
	}
	if p.Enforcement != nil {
		probs = append(probs, p.Enforcement.check(file)...)
	}
	seen := map[string]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		r.inherit(&p.Defaults)
		id := r.ID
		if id == "" {
			id = fmt.Sprintf("#%d", i+1)
			add(id, "id is required")
		}
		if seen[r.ID] {
			add(id, "duplicate rule id in this pack")
		}
		seen[r.ID] = true
		if _, err := r.compileMeta(path.Base(file)); err != nil {
			for _, m := range splitErrors(err) {
				add(id, "%s", m)
			}
		}
	}
	return &p, probs
}

// inherit fills unset fields from the pack's defaults.
func (r *RuleSpec) inherit(d *RuleSpec) {
	set := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	set(&r.Layer, d.Layer)
	set(&r.Severity, d.Severity)
	set(&r.Tier, d.Tier)
	set(&r.Decision, d.Decision)
	set(&r.LabelNotice, d.LabelNotice)
	set(&r.Basis, d.Basis)
	set(&r.Authority, d.Authority)
	set(&r.From, d.From)
	set(&r.Until, d.Until)
	if r.Report == nil {
		r.Report = d.Report
	}
}

func splitErrors(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}
