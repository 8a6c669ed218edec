package main

import (
	"context"
	"fmt"
	"io"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
)

// runHash implements `aigcwatch hash FILE...`: it prints "pdq_hex quality path" for each
// JPEG, PNG or WebP file (EXIF orientation honoured, decoding bounded by
// pdq.DefaultLimits). A file that cannot be read or decoded gets an error line on stderr
// naming it; the exit status is then 1. With no arguments it prints usage and returns 2.
func runHash(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "Usage: aigcwatch hash FILE...\n\nPrints \"pdq_hex quality path\" per image (JPEG, PNG, WebP); quality < 50 means the hash is unreliable")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	status := 0
	for _, path := range args {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(stderr, "aigcwatch hash: %v\n", err)
			return 1
		}
		data, err := pdq.ReadFile(path, pdq.DefaultLimits)
		if err == nil {
			var h pdq.Hash
			var q int
			h, q, err = pdq.HashBytes(data, pdq.DefaultLimits)
			if err == nil {
				fmt.Fprintf(stdout, "%s %d %s\n", h, q, path)
				continue
			}
		}
		fmt.Fprintf(stderr, "aigcwatch hash: %s: %v\n", path, err)
		status = 1
	}
	return status
}
