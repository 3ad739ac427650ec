package svgexporter

// The spool: windows settled but not yet completely written are kept in
// the persistent queue's storage extension (sending_queue::storage), so a
// restart while storage is down loses none of them. Written after every
// window end that leaves something pending and at shutdown, read at start.

import (
	"context"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/internal/bucket"
)

// spoolKey is the one key the spool uses in the storage client.
const spoolKey = "pending_windows"

// spooled is a pendingWrite as stored.
type spooled struct {
	Obj    bucket.Object `json:"obj"`
	Kind   string        `json:"kind"`
	Last   bool          `json:"last,omitempty"`
	Entry  *index.Entry  `json:"entry,omitempty"`
	ListIn string        `json:"list_in,omitempty"`
}

// openSpool gets the storage client of the queue's storage extension and
// takes back what an earlier run left pending. Without a storage extension
// there is no spool.
func (e *svgExporter) openSpool(ctx context.Context, host component.Host) error {
	q := e.cfg.QueueConfig.Get()
	if q == nil || q.StorageID == nil {
		return nil
	}
	ext, ok := host.GetExtensions()[*q.StorageID]
	if !ok {
		return fmt.Errorf("svg exporter: storage extension %s not found", q.StorageID)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return fmt.Errorf("svg exporter: %s is not a storage extension", q.StorageID)
	}
	c, err := se.GetClient(ctx, component.KindExporter, e.id, "windows")
	if err != nil {
		return fmt.Errorf("svg exporter: storage client: %w", err)
	}
	e.spool = c
	data, err := c.Get(ctx, spoolKey)
	if err != nil || data == nil {
		return err
	}
	var groups [][]spooled
	if err := json.Unmarshal(data, &groups); err != nil {
		e.logger.Error("svg exporter: unreadable spool of pending windows dropped", zap.Error(err))
		return nil
	}
	for _, g := range groups {
		var ps []pendingWrite
		for _, s := range g {
			ps = append(ps, pendingWrite{obj: s.Obj, kind: s.Kind, last: s.Last, entry: s.Entry, listIn: s.ListIn})
		}
		e.pending = append(e.pending, ps)
	}
	e.logger.Info("svg exporter: pending windows taken back from storage", zap.Int("windows", len(groups)))
	return nil
}

// saveSpool stores what is pending (or clears the spool when nothing is).
func (e *svgExporter) saveSpool(ctx context.Context) error {
	if e.spool == nil {
		return nil
	}
	e.mu.Lock()
	groups := make([][]spooled, 0, len(e.pending))
	for _, g := range e.pending {
		var ss []spooled
		for _, p := range g {
			ss = append(ss, spooled{Obj: p.obj, Kind: p.kind, Last: p.last, Entry: p.entry, ListIn: p.listIn})
		}
		groups = append(groups, ss)
	}
	e.mu.Unlock()
	if len(groups) == 0 {
		return e.spool.Delete(ctx, spoolKey)
	}
	data, err := json.Marshal(groups)
	if err != nil {
		return err
	}
	return e.spool.Set(ctx, spoolKey, data)
}
