package collectortest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Export sends td to the collector's OTLP gRPC receiver and returns its
// answer, for senders that run outside the test goroutine.
func (c *Collector) Export(ctx context.Context, td ptrace.Traces) error {
	return c.sendGRPC(ctx, td)
}

// sendGRPC exports td to the collector's OTLP gRPC receiver.
func (c *Collector) sendGRPC(ctx context.Context, td ptrace.Traces) error {
	conn, err := grpc.NewClient(c.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	return err
}

// sendHTTP exports td as OTLP/HTTP protobuf.
func (c *Collector) sendHTTP(ctx context.Context, td ptrace.Traces) error {
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		return err
	}
	return c.post(ctx, "application/x-protobuf", body)
}

// sendJSON posts an OTLP/JSON document (as the file exporter writes one per line).
func (c *Collector) sendJSON(ctx context.Context, doc []byte) error {
	return c.post(ctx, "application/json", doc)
}

func (c *Collector) post(ctx context.Context, contentType string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.HTTP+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("OTLP/HTTP: %s: %s", resp.Status, msg)
	}
	return nil
}
