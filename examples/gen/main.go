// Command gen writes the sample stream of aigcwatch: a few hundred content records across
// modalities and jurisdictions, in groups whose ids name what each group exercises
// (see examples/README.md and examples/expect.tsv). It is deterministic: the same
// program writes the same bytes.
//
//	go run ./examples/gen > examples/stream.jsonl
//	go run ./examples/gen -poison > examples/poison.jsonl
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	poison := fs.Bool("poison", false, "write the malformed lines (examples/poison.jsonl) instead of the stream")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	w := bufio.NewWriter(stdout)
	var err error
	if *poison {
		err = writePoison(w)
	} else {
		err = writeStream(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	return 0
}

// streamStart is the time of the first record; records follow every streamStep.
var (
	streamStart = time.Date(2026, 10, 5, 1, 0, 0, 0, time.UTC)
	streamStep  = 97 * time.Second
	beijing     = time.FixedZone("CST", 8*3600)
)

// item is one record to be made: its group and its number within the group.
type item struct {
	g *group
	i int
}

func writeStream(w io.Writer) error {
	var items []item
	for gi := range groups {
		g := &groups[gi]
		for i := range g.n {
			items = append(items, item{g: g, i: i})
		}
	}
	// Interleave the groups as a real stream would, with a fixed-seed shuffle.
	rng := splitmix(20261005)
	for i := len(items) - 1; i > 0; i-- {
		j := int(rng.next() % uint64(i+1))
		items[i], items[j] = items[j], items[i]
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for pos, it := range items {
		t := streamStart.Add(time.Duration(pos) * streamStep)
		if !it.g.at.IsZero() {
			t = it.g.at.Add(time.Duration(it.i) * 7 * time.Hour)
		}
		r := &rec{ID: fmt.Sprintf("%s-%03d", it.g.name, it.i+1)}
		it.g.fill(it.i, t, r)
		if r.Jurisdiction == "CN" || (r.Jurisdiction == "" && it.g.cnTime) {
			t = t.In(beijing)
		}
		r.Time = t.Format(time.RFC3339)
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// splitmix is SplitMix64: a tiny generator whose output is fixed by its definition, so
// the stream does not depend on the standard library's choice of algorithm.
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// hexOf returns n hex digits derived from s, for hashes and ids that must look real
// and stay stable.
func hexOf(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:])
	for len(h) < n {
		sum = sha256.Sum256(sum[:])
		h += hex.EncodeToString(sum[:])
	}
	return h[:n]
}

// pick returns the element of pool for record i of a group, starting at off.
func pick[T any](pool []T, i, off int) T { return pool[(i+off)%len(pool)] }
