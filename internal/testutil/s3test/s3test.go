// Package s3test runs versitygw, a real S3 server, on a loopback port for
// tests that write pictures to object storage.
package s3test

import (
	"context"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/need"
)

// The server's only bucket and its root credentials.
const (
	Bucket    = "pictures"
	AccessKey = "tracemapaccess"
	SecretKey = "tracemapsecret0123456789"
)

// Server is versitygw serving a temporary directory.
type Server struct {
	Addr string // 127.0.0.1:port, kept across Stop and Start
	Dir  string

	bin string
	cmd *exec.Cmd
	out strings.Builder
}

// Start runs a server with Bucket created and sets the AWS credentials in the
// environment, where gocloud.dev's s3blob finds them. It skips the test when
// versitygw is not installed (`make test` installs it into bin/).
func Start(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: l.Addr().String(), Dir: t.TempDir(), bin: binary(t)}
	l.Close()
	s.Start(t)
	t.Cleanup(s.Stop)
	if _, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(Bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	return s
}

// binary looks for versitygw on PATH, in $GOPATH/bin and in the repository's bin/.
func binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	candidates := []string{filepath.Join(gopath, "bin", "versitygw")}
	if root, err := collectortest.RepoRoot(); err == nil {
		candidates = append(candidates, filepath.Join(root, "bin", "versitygw"))
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return need.Tool(t, "not on PATH, in $GOPATH/bin or bin/ either: `make test` installs it, or `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0`", "versitygw")
}

// Start (re)starts the server on its address and directory, as storage
// coming back after an outage.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.out.Reset()
	s.cmd = exec.Command(s.bin, "--port", s.Addr, "posix", s.Dir)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", s.Addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatalf("versitygw did not listen on %s: %v\n%s", s.Addr, err, s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server, as storage going away.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// URL is the gocloud.dev bucket URL of Bucket.
func (s *Server) URL() string {
	return fmt.Sprintf("s3://%s?endpoint=http://%s&use_path_style=true&region=us-east-1", Bucket, s.Addr)
}

// Client talks to the server directly, to read back what was written.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + s.Addr),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}
