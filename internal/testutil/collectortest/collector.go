// Package collectortest runs the tracemap distribution as a real process for
// end-to-end tests and the load harness: it builds the binary once, starts it
// on free loopback ports with a given config, waits for health_check, sends
// OTLP, reads the collector's own metrics and checks that it stops cleanly.
package collectortest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"
)

// Ports are the loopback addresses a collector under test listens on.
type Ports struct {
	GRPC      string // OTLP gRPC receiver
	HTTP      string // OTLP HTTP receiver
	Health    string // health_check extension
	Telemetry string // the collector's own Prometheus metrics
	extra     map[string]string
}

// Port returns a further free loopback address, the same one for the same name.
func (p *Ports) Port(name string) (string, error) {
	if a, ok := p.extra[name]; ok {
		return a, nil
	}
	a, err := freeAddr()
	if err != nil {
		return "", err
	}
	p.extra[name] = a
	return a, nil
}

// templateData is what a config template sees.
type templateData struct {
	*Ports
	Dir string
}

// Collector is a running distribution process.
type Collector struct {
	Ports
	Dir     string // output directory: {{.Dir}}, and ./out/ seen from the process
	LogPath string // combined stdout and stderr of the process

	bin, cfgPath, workDir string // what Relaunch starts again

	cmd    *exec.Cmd
	done   chan struct{}
	err    error // the process's exit error, valid after done is closed
	logf   *os.File
	cancel context.CancelFunc
}

// Launch renders cfgTemplate, starts bin with it in workDir and waits until
// health_check answers. The template sees the Ports fields ({{.GRPC}},
// {{.Port "name"}}, ...) and {{.Dir}}, which is workDir/out, so a plain config
// that writes to ./out/ works unchanged. The OTLP receiver's endpoints are set
// to the free ports whatever the config says.
func Launch(bin, cfgTemplate, workDir string) (*Collector, error) {
	dir := filepath.Join(workDir, "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(bin) // the process runs in workDir
	if err != nil {
		return nil, err
	}
	ports := Ports{extra: map[string]string{}}
	for _, a := range []*string{&ports.GRPC, &ports.HTTP, &ports.Health, &ports.Telemetry} {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		*a = addr
	}
	cfg, err := render(cfgTemplate, templateData{Ports: &ports, Dir: dir})
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(workDir, "config.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, err
	}
	return spawn(&Collector{Ports: ports, Dir: dir, LogPath: filepath.Join(workDir, "collector.log"), bin: bin, cfgPath: cfgPath, workDir: workDir})
}

// Relaunch starts the same binary again with the same config, working
// directory and ports after c has exited, as a supervisor restarting a
// stopped or crashed collector would: file_storage directories and output
// under the working directory carry over, and peers configured with its
// addresses reach it again. The log continues in the same file.
func (c *Collector) Relaunch() (*Collector, error) {
	if !c.Exited() {
		return nil, errors.New("relaunch: the collector is still running")
	}
	return spawn(&Collector{Ports: c.Ports, Dir: c.Dir, LogPath: c.LogPath, bin: c.bin, cfgPath: c.cfgPath, workDir: c.workDir})
}

// spawn starts the process c describes and waits until it is healthy.
func spawn(c *Collector) (*Collector, error) {
	logf, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, c.bin, "--config", c.cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = c.workDir
	// A test that dies must not leave a collector behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		cancel()
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", c.bin, err)
	}
	c.cmd, c.done, c.logf, c.cancel = cmd, make(chan struct{}), logf, cancel
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	if err := c.waitHealthy(60 * time.Second); err != nil {
		c.Kill()
		return nil, fmt.Errorf("%w\n%s", err, c.LogTail(40))
	}
	return c, nil
}

// render fills the template and adds the health_check extension and the
// telemetry endpoint the harness relies on.
func render(cfgTemplate string, data templateData) ([]byte, error) {
	tmpl, err := template.New("config").Option("missingkey=error").Parse(cfgTemplate)
	if err != nil {
		return nil, fmt.Errorf("config template: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("config template: %w", err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(buf.Bytes(), &cfg); err != nil {
		return nil, fmt.Errorf("config yaml: %w", err)
	}
	if otlp, ok := child(cfg, "receivers")["otlp"].(map[string]any); ok {
		protocols := child(otlp, "protocols")
		if _, ok := protocols["grpc"]; ok {
			child(protocols, "grpc")["endpoint"] = data.GRPC
		}
		if _, ok := protocols["http"]; ok {
			child(protocols, "http")["endpoint"] = data.HTTP
		}
	}
	exts := child(cfg, "extensions")
	exts["health_check"] = map[string]any{"endpoint": data.Health}
	svc := child(cfg, "service")
	names, _ := svc["extensions"].([]any)
	svc["extensions"] = append(names, "health_check")
	host, port, _ := net.SplitHostPort(data.Telemetry)
	portNum, _ := strconv.Atoi(port)
	tel := child(svc, "telemetry")
	// detailed unless the config names a level: the load configs measure
	// the collector's default (normal), as a gateway runs it, since
	// detailed makes every batch and queue record sizes.
	level, _ := child(tel, "metrics")["level"].(string)
	if level == "" {
		level = "detailed"
	}
	tel["metrics"] = map[string]any{
		"level": level,
		"readers": []any{map[string]any{"pull": map[string]any{"exporter": map[string]any{
			"prometheus": map[string]any{"host": host, "port": portNum},
		}}}},
	}
	return yaml.Marshal(cfg)
}

func child(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}

func (c *Collector) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			return fmt.Errorf("collector exited before it was healthy: %v", c.err)
		default:
		}
		resp, err := http.Get("http://" + c.Health + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("collector not healthy after %s", timeout)
}

// PID is the collector's process ID.
func (c *Collector) PID() int { return c.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (c *Collector) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Shutdown sends SIGTERM and waits for the process; it returns an error
// when the process does not stop in time or exits with a failure.
func (c *Collector) Shutdown(timeout time.Duration) error {
	defer c.logf.Close()
	defer c.cancel()
	if c.Exited() {
		return fmt.Errorf("collector had already exited: %v", c.err)
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(timeout):
		c.Kill()
		return fmt.Errorf("collector did not stop within %s after SIGTERM", timeout)
	}
	if c.err != nil {
		return fmt.Errorf("collector exit: %w", c.err)
	}
	return nil
}

// Kill ends the process at once, as a crash would.
func (c *Collector) Kill() {
	c.cancel()
	<-c.done
}

// Metrics scrapes the collector's own Prometheus endpoint.
func (c *Collector) Metrics() (map[string]float64, error) {
	resp, err := http.Get("http://" + c.Telemetry + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

// parseMetrics sums each metric family over its label sets, so
// "otelcol_receiver_accepted_spans_total" counts every receiver and transport.
// Series with labels are also kept under their full text.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		series := line[:sp]
		name := series
		if i := strings.IndexByte(series, '{'); i >= 0 {
			name = series[:i]
			out[series] = v
		}
		out[name] += v
	}
	return out, sc.Err()
}

// LogTail returns the last n lines the collector printed.
func (c *Collector) LogTail(n int) string {
	b, err := os.ReadFile(c.LogPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// RepoRoot finds the directory of the tracemap go.mod above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/tracemap/tracemap\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the tracemap repository")
		}
		dir = parent
	}
}

// RSS is the process's resident set size in bytes now.
func (c *Collector) RSS() (int64, error) { return c.statusBytes("VmRSS:") }

// PeakRSS is the kernel's high-water mark of the process's resident set, in bytes.
func (c *Collector) PeakRSS() (int64, error) { return c.statusBytes("VmHWM:") }

// statusBytes reads one kB field of /proc/<pid>/status.
func (c *Collector) statusBytes(field string) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(c.PID()), "status"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s for pid %d", field, c.PID())
}

// Literal makes a plain collector config safe to pass where a template is
// expected: its own {{ }} (such as the svg exporter's key) stay as written.
func Literal(cfg string) string {
	return literal.Replace(cfg)
}

var literal = strings.NewReplacer("{{", `{{"{{"}}`, "}}", `{{"}}"}}`)
