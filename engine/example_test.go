package engine_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/record"
)

// An embedding service builds one Engine at start-up (here with the embedded rule packs
// and lexicon) and asks it about each piece of generated content before publishing it.
func Example() {
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{})
	if err != nil {
		panic(err)
	}
	defer eng.Close()

	// A record built in Go...
	v, err := eng.Check(ctx, &record.Record{ID: "post-1", Jurisdiction: "CN", Modality: "text", Text: "兼职刷单返利，日赚五百"})
	if err != nil {
		panic(err)
	}
	fmt.Println(v.ID, v.Decision, v.Rules)

	// ... or the JSON a publishing service already has.
	v, err = eng.CheckJSON(ctx, []byte(`{"id":"post-2","jurisdiction":"UK","modality":"text","text":"hello"}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(v.ID, v.Decision, v.Rules)

	// A bad record is a *record.DecodeError naming the field.
	_, err = eng.CheckJSON(ctx, []byte(`{"id":"post-3","text":7}`))
	var de *record.DecodeError
	if errors.As(err, &de) {
		fmt.Println(de.Reason, de.Field)
	}
	// Output:
	// post-1 review [CN-CONTENT-05]
	// post-2 allow []
	// wrong_type text
}
