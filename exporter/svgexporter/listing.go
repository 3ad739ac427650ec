package svgexporter

// Listings: index.json and index.html per prefix, written every
// index::interval (never per picture), merged with the stored listing after
// a restart.

import (
	"bytes"
	"context"
	"errors"
	"path"
	"time"

	"go.uber.org/zap"
	"gocloud.dev/gcerrors"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/svgrender"
)

func (e *svgExporter) indexing() bool { return e.cfg.Index.HTML || e.cfg.Index.JSON }

func (e *svgExporter) addIndex(key string, entry index.Entry) {
	e.addIndexAt(objkey.Dir(key), path.Base(key), entry)
}

// addIndexAt lists entry in prefix's listing under name (a key relative to
// prefix, made by the exporter).
func (e *svgExporter) addIndexAt(prefix, name string, entry index.Entry) {
	if !e.indexing() {
		return
	}
	entry.Name = name
	e.listMu.Lock()
	e.idx.Add(prefix, entry)
	e.listMu.Unlock()
}

// flushIndex writes every listing that changed. A prefix's old index.json
// is read and merged the first time, so a restart continues the listing.
func (e *svgExporter) flushIndex(ctx context.Context) error {
	if !e.indexing() {
		return nil
	}
	e.listMu.Lock()
	snaps := e.idx.Dirty()
	e.listMu.Unlock()
	var errs []error
	for _, s := range snaps {
		err := e.writeListing(ctx, s)
		if err != nil {
			e.tel.ExporterSvgWriteErrors.Add(ctx, 1, kindIndex)
			errs = append(errs, err)
			e.listMu.Lock()
			e.idx.Failed(s)
			e.listMu.Unlock()
		}
	}
	e.listMu.Lock()
	if e.idx.Dropped > 0 {
		e.logger.Warn("svg exporter: listings dropped (too many prefixes changing while storage fails)", zap.Int("count", e.idx.Dropped))
		e.idx.Dropped = 0
	}
	e.listMu.Unlock()
	return errors.Join(errs...)
}

func (e *svgExporter) writeListing(ctx context.Context, s index.Snapshot) error {
	entries := s.Entries
	if !s.Loaded && e.cfg.Index.JSON {
		old, err := e.readListing(ctx, s.Prefix)
		if err != nil {
			return err
		}
		e.listMu.Lock()
		e.idx.Loaded(s.Prefix, old)
		e.listMu.Unlock()
		entries = index.Merge(entries, old, e.cfg.Index.MaxEntries)
	}
	if e.cfg.Index.JSON {
		data, err := index.Encode(s.Prefix, entries)
		if err != nil {
			return err
		}
		if err := e.putListing(ctx, path.Join(s.Prefix, indexJSON), contentTypeJSON, data); err != nil {
			return err
		}
	}
	if e.cfg.Index.HTML {
		var buf bytes.Buffer
		if err := svgrender.RenderIndex(&buf, indexEntries(entries)); err != nil {
			return err
		}
		if err := e.putListing(ctx, path.Join(s.Prefix, indexHTML), contentTypeHTML, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func (e *svgExporter) putListing(ctx context.Context, key, contentType string, data []byte) error {
	n, err := bucket.Put(ctx, e.bucket, bucket.Object{Key: key, ContentType: contentType, Data: data})
	if err == nil {
		e.tel.ExporterSvgBytesWritten.Add(ctx, int64(n), kindIndex)
	}
	return err
}

// readListing returns the entries of the index.json already under prefix;
// none when there is none or it cannot be parsed (it is then rewritten).
func (e *svgExporter) readListing(ctx context.Context, prefix string) ([]index.Entry, error) {
	data, err := e.bucket.ReadAll(ctx, path.Join(prefix, indexJSON))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := index.Decode(data)
	if err != nil {
		e.logger.Warn("svg exporter: replacing unreadable listing", zap.String("prefix", prefix), zap.Error(err))
		return nil, nil
	}
	return m.Entries, nil
}

func indexEntries(es []index.Entry) []svgrender.IndexEntry {
	out := make([]svgrender.IndexEntry, len(es))
	for i, e := range es {
		out[i] = svgrender.IndexEntry{
			Key:           e.Name,
			TraceID:       e.TraceID,
			RootService:   e.Service,
			RootOperation: e.Operation,
			Start:         e.Start,
			Duration:      time.Duration(e.DurationNs),
			Spans:         int(e.Spans),
			Errors:        int(e.Errors),
		}
	}
	return out
}
