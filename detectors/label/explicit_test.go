package label

import (
	"strings"
	"testing"
)

func TestHeadTailCountRunes(t *testing.T) {
	ref := func(s string, n int) (string, string) {
		r := []rune(s)
		if len(r) <= n {
			return s, s
		}
		return string(r[:n]), string(r[len(r)-n:])
	}
	for _, s := range []string{"", "abc", "人工智能生成", "a人b工c智d能e", "本内容由AI生成，仅供参考。" + strings.Repeat("正文", 50) + "AI合成"} {
		for _, n := range []int{0, 1, 2, 5, 64} {
			wh, wt := ref(s, n)
			if n == 0 {
				wh, wt = "", ""
			}
			if h, tl := head(s, n), tail(s, n); h != wh || tl != wt {
				t.Errorf("head/tail(%q, %d) = %q, %q; want %q, %q", s, n, h, tl, wh, wt)
			}
		}
	}
}
