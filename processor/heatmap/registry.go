package heatmap

import (
	"fmt"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/component"

	"github.com/tracemap/tracemap/internal/heat"
)

// registry shares the window of counting stages with annotate stages by
// component ID, within one collector process. A counting stage registers
// its tracker when it is created and leaves at shutdown; an annotate stage
// looks its source up when it starts (the collector creates every component
// before starting any, and starts downstream stages first).
var registry = struct {
	sync.Mutex
	trackers map[component.ID][]*heat.Tracker
	read     map[*heat.Tracker]bool // an annotate stage reads this window
}{trackers: make(map[component.ID][]*heat.Tracker), read: make(map[*heat.Tracker]bool)}

func register(id component.ID, t *heat.Tracker) {
	registry.Lock()
	defer registry.Unlock()
	registry.trackers[id] = append(registry.trackers[id], t)
}

func unregister(id component.ID, t *heat.Tracker) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.read, t)
	list := slices.DeleteFunc(registry.trackers[id], func(x *heat.Tracker) bool { return x == t })
	if len(list) == 0 {
		delete(registry.trackers, id)
	} else {
		registry.trackers[id] = list
	}
}

// lookup returns the one tracker registered under id. A processor ID used in
// several pipelines has one instance (and one window) per pipeline, so the
// annotate stage could not tell which to read: that is refused too.
func lookup(id component.ID) (*heat.Tracker, error) {
	registry.Lock()
	defer registry.Unlock()
	switch list := registry.trackers[id]; len(list) {
	case 1:
		registry.read[list[0]] = true
		return list[0], nil
	case 0:
		return nil, fmt.Errorf("source: no counting heatmap stage %q in this collector: add %q (mode count) before sampling in the same pipeline", id, id)
	default:
		return nil, fmt.Errorf("source: heatmap stage %q is in %d pipelines, each with its own window: give each pipeline's counting stage its own name", id, len(list))
	}
}

// isRead reports whether an annotate stage has started on t's window.
func isRead(t *heat.Tracker) bool {
	registry.Lock()
	defer registry.Unlock()
	return registry.read[t]
}
