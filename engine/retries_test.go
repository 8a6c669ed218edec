package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// TestRetriedRecordCountsOnce: with enforcement, a record checked again (a client's
// retry after a 503 or a lost answer) is stamped, not counted again; the same id with
// an edited text is a new record and counts.
func TestRetriedRecordCountsOnce(t *testing.T) {
	pols, err := pipeline.DefaultConfig.Policies()
	if err != nil {
		t.Fatal(err)
	}
	st := enforce.NewState(pols, enforce.Options{})
	eng, err := engine.New(context.Background(), engine.Config{Enforcement: st})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rec := func(id, time, text string) []byte {
		if time != "" {
			time = `"time":"` + time + `",`
		}
		return fmt.Appendf(nil, `{"id":%q,%s"provider":"p-retry","jurisdiction":"CN","role":"provider","modality":"text","text":%q}`, id, time, text)
	}
	totals := func() enforce.Totals {
		t.Helper()
		vs := st.Provider("p-retry")
		if len(vs) != 1 {
			t.Fatalf("provider views: %+v", vs)
		}
		return vs[0].Totals
	}
	check := func(raw []byte, wantCounted string) {
		t.Helper()
		v, err := eng.CheckJSON(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Incidents) == 0 {
			t.Fatalf("%s: no incidents", raw)
		}
		for _, ev := range v.Incidents {
			if got := strings.Contains(string(ev.JSON), `"counted":"replayed"`); got != (wantCounted == "replayed") {
				t.Errorf("%s: incident %s; want counted %q", raw, ev.JSON, wantCounted)
			}
		}
	}
	a := rec("r-1", "2026-11-01T08:00:00Z", "加我微信，刷单返利，日赚500")
	check(a, "")
	one := totals()
	if one.Records != 1 || one.Incidents == 0 {
		t.Fatalf("after one record: %+v", one)
	}
	check(a, "replayed") // the retry
	check(a, "replayed") // and another
	if got := totals(); got != one {
		t.Errorf("after two retries: %+v, want %+v", got, one)
	}
	if s := st.Stats(); s.Replayed != 2 || s.Records != 3 {
		t.Errorf("stats %+v: want 3 records, 2 replayed", s)
	}
	check(rec("r-1", "2026-11-01T08:00:00Z", "【兼职】刷单返利，日结200元，加微信了解详情。"), "") // edited under the same id
	check(rec("r-2", "2026-11-01T08:00:00Z", "加我微信，刷单返利，日赚500"), "")          // another record
	if got := totals(); got.Records != 3 || got.Incidents < 3*one.Incidents {
		t.Errorf("after an edited record and a new one: %+v, want 3 records and at least %d incidents", got, 3*one.Incidents)
	}
	b := rec("r-3", "", "加我微信，刷单返利，日赚500") // no time: the retry is still the same record
	check(b, "")
	check(b, "replayed")
	if got := totals(); got.Records != 4 {
		t.Errorf("after a record without time and its retry: %d records, want 4", got.Records)
	}
}
