package ebpfreceiver

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config is the ebpf receiver's configuration.
type Config struct {
	// Executables are paths of Go programs to trace in every process that runs them.
	Executables []string `mapstructure:"executables"`
	// PIDs are running processes to trace.
	PIDs []int `mapstructure:"pids"`
	// Names are executable file names; processes running them are traced,
	// including ones started later.
	Names []string `mapstructure:"names"`
	// ServiceNames maps an executable file name to the service.name of its
	// spans; unmapped programs use the executable name.
	ServiceNames map[string]string `mapstructure:"service_names"`
	// Functions are fully qualified Go functions (e.g. main.chargeCard)
	// reported as INTERNAL spans.
	Functions []string `mapstructure:"functions"`
	// Goroutines makes spans on goroutines started during a request children
	// of that request. It probes runtime.newproc1, one uprobe hit per
	// goroutine started in a traced process.
	Goroutines bool `mapstructure:"goroutines"`
	// Channels makes work handed over a channel to a goroutine started
	// earlier (a worker pool) a child of the sender's span. It probes every
	// channel send and receive of a traced program, one uprobe hit each.
	Channels bool `mapstructure:"channels"`
	// RingBufferSize is the size in bytes of the kernel ring buffer that
	// carries events: a power of two and a multiple of the page size.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// FlushInterval is how long spans are batched before they are passed on.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// MaxBatch passes a batch on early once it holds this many spans.
	MaxBatch int `mapstructure:"max_batch"`
	// ClockRefresh is how often the boot-clock to wall-clock offset is re-measured.
	ClockRefresh time.Duration `mapstructure:"clock_refresh"`
	// Shedding lets the kernel side drop spans on purpose, by a documented
	// rule, when the ring buffer fills up, instead of losing them at random.
	Shedding bool `mapstructure:"shedding"`
	// CPUBudget is the share of one core (0.25: a quarter) the receiver's
	// reader may use turning kernel events into spans; above it the
	// kernel side sheds as when the ring buffer fills up. 0: no budget.
	CPUBudget float64 `mapstructure:"cpu_budget"`
}

func createDefaultConfig() *Config {
	return &Config{
		Goroutines:     true,
		RingBufferSize: 4 << 20,
		FlushInterval:  200 * time.Millisecond,
		MaxBatch:       1024,
		ClockRefresh:   time.Minute,
		Shedding:       true,
	}
}

// Validate checks the configuration; every error names its key.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Executables)+len(c.PIDs)+len(c.Names) == 0 {
		errs = append(errs, errors.New("executables, pids, names: no targets: set at least one of them"))
	}
	for _, p := range c.PIDs {
		if p <= 0 {
			errs = append(errs, fmt.Errorf("pids: %d is not a process ID", p))
		}
	}
	for _, e := range c.Executables {
		if !strings.HasPrefix(e, "/") {
			errs = append(errs, fmt.Errorf("executables: %q must be an absolute path", e))
		}
	}
	for _, n := range c.Names {
		if n == "" || strings.Contains(n, "/") {
			errs = append(errs, fmt.Errorf("names: %q must be an executable file name without /", n))
		}
	}
	for _, f := range c.Functions {
		if f == "" || strings.ContainsAny(f, " \t") || !strings.Contains(f, ".") {
			errs = append(errs, fmt.Errorf("functions: %q is not a qualified Go function name such as main.chargeCard", f))
		}
	}
	for exe, svc := range c.ServiceNames {
		if svc == "" {
			errs = append(errs, fmt.Errorf("service_names::%s: must not be empty", exe))
		}
	}
	if n := c.RingBufferSize; n < 4096 || n > 1<<30 || n&(n-1) != 0 {
		errs = append(errs, fmt.Errorf("ring_buffer_size: %d must be a power of two between 4096 and 1073741824", n))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("flush_interval: %v must be positive", c.FlushInterval))
	}
	if c.MaxBatch <= 0 {
		errs = append(errs, fmt.Errorf("max_batch: %d must be positive", c.MaxBatch))
	}
	switch {
	case c.CPUBudget < 0 || c.CPUBudget > 1:
		errs = append(errs, fmt.Errorf("cpu_budget: %v must be between 0 and 1 (a share of one core; 0: no budget)", c.CPUBudget))
	case c.CPUBudget > 0 && !c.Shedding:
		errs = append(errs, fmt.Errorf("cpu_budget: %v needs shedding: true (the budget is kept by shedding)", c.CPUBudget))
	}
	if c.ClockRefresh <= 0 {
		errs = append(errs, fmt.Errorf("clock_refresh: %v must be positive", c.ClockRefresh))
	}
	return errors.Join(errs...)
}
