// Command bloat is a large target program for the ebpf receiver's
// attach benchmark: an HTTP server like shop's /hello that links the cloud
// SDKs of gocloud.dev's S3, GCS and Azure blob drivers, so that its binary
// and DWARF are the size of a real service's (attaching reads them).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	bucket := flag.String("bucket", "", "a bucket URL to open (never, in the benchmark: the SDKs only have to be linked)")
	flag.Parse()
	if *bucket != "" {
		if _, err := blob.OpenBucket(context.Background(), *bucket); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello") }))
}
