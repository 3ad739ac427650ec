package svgexporter

import (
	"context"
	"testing"

	"github.com/tracemap/tracemap/internal/live"
)

func TestLiveWindowIsHandedOverOnlyWhenWatchedAndChanged(t *testing.T) {
	e := exemplarExporter(t, t.TempDir(), "gw-live", nil)
	defer func() {
		if err := e.shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}()
	if err := e.pushExemplars(context.Background(), shopTraces()); err != nil {
		t.Fatal(err)
	}
	board := live.NewBoard()
	var published int64
	e.publishLive(board, &published)
	if cur, _ := board.Current(); len(cur) != 0 {
		t.Fatal("published with no reader watching")
	}
	defer board.Watch()()
	e.publishLive(board, &published)
	cur, changed := board.Current()
	if len(cur) != 1 {
		t.Fatalf("%d windows published, want 1", len(cur))
	}
	s := cur[0]
	if s.Traces != 4 || len(s.Gateways) != 1 || s.Gateways[0].ID != "gw-live" || !s.Start.Equal(winStart) {
		t.Fatalf("published %d traces by %+v from %v", s.Traces, s.Gateways, s.Start)
	}
	spans := map[string][3]int64{}
	for _, sv := range s.Services {
		spans[sv.Name] = [3]int64{sv.Spans, sv.Errors, sv.OwnErrors}
	}
	// shop: 4 spans, its failing span propagates db's error; db: 1 own error.
	if spans["shop"] != [3]int64{4, 1, 0} || spans["db"] != [3]int64{1, 1, 1} {
		t.Fatalf("services %v", spans)
	}
	e.publishLive(board, &published) // nothing new: nothing handed over
	select {
	case <-changed:
		t.Fatal("an unchanged window was handed over again")
	default:
	}
}
