package bucket

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"file://./out", "file://" + filepath.ToSlash(filepath.Join(wd, "out")) + "?create_dir=true&metadata=skip&no_tmp_dir=true"},
		{"file://../out/x", "file://" + filepath.ToSlash(filepath.Join(filepath.Dir(wd), "out", "x")) + "?create_dir=true&metadata=skip&no_tmp_dir=true"},
		{"file:///var/lib/tracemap?metadata=", "file:///var/lib/tracemap?create_dir=true&metadata=&no_tmp_dir=true"},
		{"mem://", "mem://"},
		{"s3://pics?endpoint=http://127.0.0.1:9000&use_path_style=true", "s3://pics?endpoint=http://127.0.0.1:9000&use_path_style=true"},
		{"gs://pics", "gs://pics"},
		{"azblob://pics", "azblob://pics"},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"http://x", "out", "file://out", "file://", "file:///", "s3://", "gs:///x", "%zz"} {
		if _, err := Resolve(bad); err == nil {
			t.Errorf("Resolve(%q) accepted", bad)
		}
	}
}

func TestPutFileRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Background()
	b, err := Open(ctx, "file://./out/pics")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n, err := Put(ctx, b, Object{Key: "a/b.svg", ContentType: "image/svg+xml", Data: []byte("<svg/>")})
	if err != nil || n != 6 {
		t.Fatalf("Put = %d, %v", n, err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "out", "pics", "a", "b.svg"))
	if err != nil || string(got) != "<svg/>" {
		t.Fatalf("file = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "pics", "a", "b.svg.attrs")); !os.IsNotExist(err) {
		t.Fatalf("sidecar attrs file written: %v", err)
	}
}

func TestPutGzipMem(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data := bytes.Repeat([]byte("<rect/>"), 1000)
	n, err := Put(ctx, b, Object{Key: "t.svg", ContentType: "image/svg+xml", Data: data, Gzip: true})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := b.Attributes(ctx, "t.svg")
	if err != nil {
		t.Fatal(err)
	}
	if attrs.ContentType != "image/svg+xml" || attrs.ContentEncoding != "gzip" || attrs.Size != int64(n) || n >= len(data) {
		t.Fatalf("attrs = %q %q size %d, Put returned %d", attrs.ContentType, attrs.ContentEncoding, attrs.Size, n)
	}
	raw, _ := b.ReadAll(ctx, "t.svg")
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(zr)
	if !bytes.Equal(back, data) {
		t.Fatal("gzip round trip differs")
	}
}

func TestPutIfNotExist(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	o := Object{Key: "a/t.svg", ContentType: "image/svg+xml", Data: []byte("<svg>1</svg>"), IfNotExist: true}
	if _, err := Put(ctx, b, o); err != nil {
		t.Fatal(err)
	}
	o.Data = []byte("<svg>2</svg>")
	if _, err := Put(ctx, b, o); err != ErrExists {
		t.Fatalf("second Put = %v, want ErrExists", err)
	}
	if got, _ := b.ReadAll(ctx, "a/t.svg"); string(got) != "<svg>1</svg>" {
		t.Fatalf("object = %q, want the first", got)
	}
	o.IfNotExist = false
	if _, err := Put(ctx, b, o); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.ReadAll(ctx, "a/t.svg"); string(got) != "<svg>2</svg>" {
		t.Fatalf("object = %q, want the replacement", got)
	}
}
