package heatmap

import (
	"go.opentelemetry.io/collector/component"

	"github.com/tracemap/tracemap/internal/heat"
)

// Config is the heatmap processor's configuration: the heat tracker's
// settings, at the top level of the processor's block. See README.md.
type Config struct {
	heat.Config `mapstructure:",squash"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{Config: heat.DefaultConfig()}
}

// Validate checks every setting; the messages name the config key.
func (c *Config) Validate() error {
	return c.Config.Validate()
}
