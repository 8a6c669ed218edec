package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aigcwatch/aigcwatch/enforce"
)

type fakeEnforcement struct {
	levels  []enforce.ProviderLevel
	ladders []enforce.LadderInfo
}

func (f fakeEnforcement) Levels() []enforce.ProviderLevel { return f.levels }
func (f fakeEnforcement) Ladders() []enforce.LadderInfo   { return f.ladders }

func TestEnforcementGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{TopProviders: 2})
	if err != nil {
		t.Fatal(err)
	}
	pl := func(p, j string, l int) enforce.ProviderLevel {
		return enforce.ProviderLevel{Key: enforce.Key{Provider: p, Jurisdiction: j}, Level: l}
	}
	three := []enforce.Level{{Index: 0}, {Index: 1}, {Index: 2}}
	src := fakeEnforcement{
		levels: []enforce.ProviderLevel{
			pl("a", "CN", 2), pl("b", "CN", 1), pl("c", "CN", 1), pl("d", "CN", 0),
			pl("e", "DE", 1), pl("e", "FR", 2), // both EU: the higher level
			pl("f", "XX", 0),
		},
		ladders: []enforce.LadderInfo{
			{Ladder: "default", Jurisdictions: []string{"*"}, Levels: three},
			{Ladder: "CN", Jurisdictions: []string{"CN"}, Levels: three},
			{Ladder: "EU", Jurisdictions: []string{"EU"}, Levels: three},
		},
	}
	if err := m.RegisterEnforcement(reg, src); err != nil {
		t.Fatal(err)
	}
	// Top 2 above the base: a (CN 2) and e (EU 2); b and c are CN's "other" at 1.
	want := `
# HELP aigcwatch_enforcement_providers Providers at each level of their jurisdiction's enforcement ladder.
# TYPE aigcwatch_enforcement_providers gauge
aigcwatch_enforcement_providers{jurisdiction="CN",level="0"} 1
aigcwatch_enforcement_providers{jurisdiction="CN",level="1"} 2
aigcwatch_enforcement_providers{jurisdiction="CN",level="2"} 1
aigcwatch_enforcement_providers{jurisdiction="EU",level="0"} 0
aigcwatch_enforcement_providers{jurisdiction="EU",level="1"} 1
aigcwatch_enforcement_providers{jurisdiction="EU",level="2"} 1
aigcwatch_enforcement_providers{jurisdiction="other",level="0"} 1
aigcwatch_enforcement_providers{jurisdiction="other",level="1"} 0
aigcwatch_enforcement_providers{jurisdiction="other",level="2"} 0
# HELP aigcwatch_provider_enforcement_level A provider's level on its jurisdiction's enforcement ladder (0 = the base), for the providers above the base with the highest levels (top N, else other).
# TYPE aigcwatch_provider_enforcement_level gauge
aigcwatch_provider_enforcement_level{jurisdiction="CN",provider="a"} 2
aigcwatch_provider_enforcement_level{jurisdiction="CN",provider="other"} 1
aigcwatch_provider_enforcement_level{jurisdiction="EU",provider="e"} 2
`
	if err := testutil.CollectAndCompare(reg, strings.NewReader(want), "aigcwatch_provider_enforcement_level", "aigcwatch_enforcement_providers"); err != nil {
		t.Error(err)
	}
}
