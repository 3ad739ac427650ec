package heatmap

import (
	"go.opentelemetry.io/collector/component"

	"github.com/tracemap/tracemap/internal/heat"
)

// Config is the heatmap processor's configuration: the heat tracker's
// settings, at the top level of the processor's block. See README.md.
type Config struct {
	heat.Config `mapstructure:",squash"`

	// SpanAttributes writes the operation and edge attributes on spans. Off,
	// only the service attributes go on each resource: every span is still
	// counted, and tail_sampling on tracemap.service.hot still works, without
	// the cost of growing every span's attributes.
	SpanAttributes bool `mapstructure:"span_attributes"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{Config: heat.DefaultConfig(), SpanAttributes: true}
}

// Validate checks every setting; the messages name the config key.
func (c *Config) Validate() error {
	return c.Config.Validate()
}
