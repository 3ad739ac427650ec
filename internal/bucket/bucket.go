// Package bucket opens a tracemap gocloud.dev/blob bucket (the svg exporter
// writes it, the tracemap extension reads it) and writes
// objects to it with the right content type and optional gzip.
package bucket

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/memblob"   // mem://
	_ "gocloud.dev/blob/s3blob"    // s3://
	"gocloud.dev/gcerrors"
)

// Schemes are the bucket URL schemes the exporter is built with.
var Schemes = []string{"file", "mem", "s3", "gs", "azblob"}

// Resolve checks a bucket URL and rewrites what gocloud.dev does not do by
// itself: a relative file URL (file://./out, file://../out) becomes an
// absolute one against the working directory, the directory is created on
// open, fileblob's .attrs sidecar files are not written unless asked for
// (they would clutter a directory people browse), and temporary files are
// made next to their target.
func Resolve(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	known := false
	for _, s := range Schemes {
		known = known || u.Scheme == s
	}
	if !known {
		return "", fmt.Errorf("scheme %q is not one of %v", u.Scheme, Schemes)
	}
	if u.Scheme != "file" {
		if u.Host == "" && u.Scheme != "mem" {
			return "", fmt.Errorf("%s URL names no bucket", u.Scheme)
		}
		return raw, nil
	}
	var dir string
	switch u.Host {
	case "":
		dir = u.Path
	case ".", "..":
		dir = u.Host + u.Path
	default:
		return "", fmt.Errorf("file URL host %q: use file:///absolute/dir or file://./relative/dir", u.Host)
	}
	if dir == "" || dir == "/" && u.Host == "" {
		return "", errors.New("file URL names no directory")
	}
	abs, err := filepath.Abs(filepath.FromSlash(dir))
	if err != nil {
		return "", err
	}
	q := u.Query()
	if !q.Has("create_dir") {
		q.Set("create_dir", "true")
	}
	if !q.Has("metadata") {
		q.Set("metadata", "skip")
	}
	if !q.Has("no_tmp_dir") {
		// Temporary files next to their target, not in os.TempDir: the
		// final rename then never crosses file systems, and a crowded /tmp
		// made every create cost about a millisecond.
		q.Set("no_tmp_dir", "true")
	}
	out := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return out.String(), nil
}

// Open resolves raw (see Resolve) and opens the bucket.
func Open(ctx context.Context, raw string) (*blob.Bucket, error) {
	resolved, err := Resolve(raw)
	if err != nil {
		return nil, err
	}
	if u, _ := url.Parse(resolved); u.Scheme == "file" {
		// fileblob's create_dir uses 0777; keep the output private-ish.
		if err := os.MkdirAll(filepath.FromSlash(u.Path), 0o755); err != nil {
			return nil, err
		}
	}
	return blob.OpenBucket(ctx, resolved)
}

// Object is one thing to store.
type Object struct {
	Key         string
	ContentType string
	Data        []byte
	Gzip        bool // store gzip-compressed with Content-Encoding: gzip
	// IfNotExist writes only when no object has the key yet; Put then
	// returns ErrExists instead of replacing it.
	IfNotExist bool
}

// ErrExists is returned by Put for an IfNotExist object whose key is taken.
var ErrExists = errors.New("object exists")

// Put writes o and returns the number of bytes stored.
func Put(ctx context.Context, b *blob.Bucket, o Object) (int, error) {
	data := o.Data
	opts := &blob.WriterOptions{ContentType: o.ContentType, IfNotExist: o.IfNotExist}
	if o.Gzip {
		var buf bytes.Buffer
		buf.Grow(len(data) / 4)
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(data); err != nil {
			return 0, err
		}
		if err := zw.Close(); err != nil {
			return 0, err
		}
		data = buf.Bytes()
		opts.ContentEncoding = "gzip"
	}
	// Not WriteAll: it hashes the data once more on top of the Writer's own
	// MD5, which costs more CPU than drawing a small trace.
	w, err := b.NewWriter(ctx, o.Key, opts)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", o.Key, err)
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Close()
		return 0, fmt.Errorf("write %s: %w", o.Key, err)
	}
	if err := w.Close(); err != nil {
		if o.IfNotExist && gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return 0, ErrExists
		}
		return 0, fmt.Errorf("write %s: %w", o.Key, err)
	}
	return len(data), nil
}
