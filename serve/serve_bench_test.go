package serve_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/serve"
)

func benchText(i int) string {
	base := "这款折叠婴儿车单手就能收起，周末带孩子去公园非常方便，推起来也很稳。" +
		"The stroller folds with one hand and fits in a small trunk; the canopy blocks the afternoon sun. " +
		"我们用了三个月，轮子没有出现松动，清洗也简单。"
	if i%10 == 0 {
		base += "兼职刷单返利，日赚五百。"
	}
	return base + strings.Repeat("好", (500-len(base))/3)
}

// BenchmarkModerateHandler is the server's cost of one /v1/moderate request without the
// network: auth, limits, body read, judging, incidents (in memory), answer.
func BenchmarkModerateHandler(b *testing.B) {
	eng, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	toks, _ := serve.NewTokens(tokenA)
	h, err := serve.New(serve.Options{Checker: eng, Incidents: &memSink{}, Tokens: toks, Limits: defaultLimits})
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, 100)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"id":"b-%d","jurisdiction":"CN","role":"platform","modality":"text","text":%q}`, i, benchText(i))
	}
	b.ReportAllocs()
	clk := benchclock.Start()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest("POST", "/v1/moderate", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Authorization", "Bearer "+tokenA)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	clk.Report(b, "requests/cpu-s")
}
