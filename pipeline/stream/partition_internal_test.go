package stream

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/segmentio/kafka-go"
)

// TestBatchArena: the byte strings and headers handed out by a batch are the values
// asked for, stay intact as more are handed out (across arena chunks), and cannot be
// appended to in place.
func TestBatchArena(t *testing.T) {
	var b batch
	var ids, keys [][]byte
	var hs [][]kafka.Header
	for i := range 5000 {
		k := b.bytes(fmt.Sprintf("record-%d", i), -1)
		id := b.bytes("in/3/", int64(i))
		h := b.headers(kafka.Header{Key: HeaderID, Value: id}, kafka.Header{Key: "n", Value: k})
		if cap(k) != len(k) || cap(id) != len(id) || cap(h) != len(h) {
			t.Fatalf("%d: spare capacity: key %d/%d id %d/%d headers %d/%d", i, len(k), cap(k), len(id), cap(id), len(h), cap(h))
		}
		keys, ids, hs = append(keys, k), append(ids, id), append(hs, h)
	}
	for i := range keys {
		wantID := "in/3/" + strconv.Itoa(i)
		if string(keys[i]) != fmt.Sprintf("record-%d", i) || string(ids[i]) != wantID ||
			len(hs[i]) != 2 || string(hs[i][0].Value) != wantID || !bytes.Equal(hs[i][1].Value, keys[i]) {
			t.Fatalf("%d: key %q id %q headers %v", i, keys[i], ids[i], hs[i])
		}
	}
}
