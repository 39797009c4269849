package panda

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// genAnswer builds a v1 answer shaped like PanDA's: queues x labels x
// resource types x states, with the five zero-filled states everywhere and
// other states on some combinations.
func genAnswer(queues int) []byte {
	extra := []string{"defined", "starting", "holding", "transferring", "merging", "cancelled", "closed"}
	var sb strings.Builder
	sb.WriteString(`{"success": true, "message": "", "data": {`)
	for q := range queues {
		if q > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, `"SITE%03d_QUEUE%d": {`, q/8, q)
		combos := [][2]string{{"managed", "SCORE"}, {"managed", "MCORE"}, {"user", "SCORE"}}
		if q%2 == 0 {
			combos = slices.Insert(combos, 2, [2]string{"managed", "SCORE_HIMEM"})
		}
		label := ""
		for i, c := range combos {
			switch {
			case c[0] != label && label != "":
				sb.WriteString("}, ")
				fallthrough
			case c[0] != label:
				fmt.Fprintf(&sb, `"%s": {`, c[0])
				label = c[0]
			default:
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, `"%s": {"assigned": 0, "activated": %d, "running": %d, "finished": %d, "failed": %d`,
				c[1], (q*7+i)%50, (q*13+i)%900, (q*3+i)%80, (q+i)%9)
			for j, s := range extra {
				if (q+i+j)%3 == 0 {
					fmt.Fprintf(&sb, `, "%s": %d`, s, (q+j)%20)
				}
			}
			sb.WriteString("}")
		}
		sb.WriteString("}}")
	}
	sb.WriteString("}}")
	return []byte(sb.String())
}

func BenchmarkDecode(b *testing.B) {
	body := genAnswer(1000)
	st, err := DecodeV1(body)
	if err != nil || st.Queues != 1000 || st.Duplicates != 0 || st.BadTotal != 0 {
		b.Fatalf("DecodeV1() = %d queues, %v", st.Queues, err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	answers := 0
	for b.Loop() {
		if _, err := DecodeV1(body); err != nil {
			b.Fatal(err)
		}
		answers++
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(answers), "ms/answer")
	b.ReportMetric(float64(len(st.Entries)), "entries/answer")
}
