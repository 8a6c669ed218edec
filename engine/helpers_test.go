package engine_test

import "github.com/aigcwatch/aigcwatch/pipeline"

func engineConfigRules(dir string) pipeline.Config {
	c := pipeline.DefaultConfig
	c.Rules = dir
	return c
}
