package main

import (
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa/c2patest"
)

// BenchmarkInspectJPEG5MBManifest is inspect of the same 5 MB JPEG with a signed C2PA
// manifest: the manifest is parsed, its assertion hashes and its data hash (SHA-256 of
// the whole file but the manifest) are checked.
func BenchmarkInspectJPEG5MBManifest(b *testing.B) {
	s, err := c2patest.NewSigner()
	if err != nil {
		b.Fatal(err)
	}
	data, err := c2patest.Manifest{ClaimGenerator: "ExampleGen/2.1", Actions: []c2patest.Action{
		{Action: "c2pa.created", DigitalSourceType: c2patest.TrainedAlgorithmicMedia}}}.JPEG(s, noiseJPEG(b, 2400, 1800))
	if err != nil {
		b.Fatal(err)
	}
	benchInspect(b, data)
}

// BenchmarkInspectJPEG5MBBoxHash is the same JPEG with a box hash (c2pa.hash.boxes)
// instead of a data hash: the file's marker segments are listed (the entropy-coded data
// scanned for the next marker) and each is hashed.
func BenchmarkInspectJPEG5MBBoxHash(b *testing.B) {
	s, err := c2patest.NewSigner()
	if err != nil {
		b.Fatal(err)
	}
	data, err := c2patest.Manifest{ClaimGenerator: "ExampleGen/2.1", Actions: []c2patest.Action{
		{Action: "c2pa.created", DigitalSourceType: c2patest.TrainedAlgorithmicMedia}}}.JPEGBoxHash(s, noiseJPEG(b, 2400, 1800), nil)
	if err != nil {
		b.Fatal(err)
	}
	benchInspect(b, data)
}
