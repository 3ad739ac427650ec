package heatmap

import (
	"go.opentelemetry.io/collector/component"

	"github.com/tracemap/tracemap/internal/confcheck"
	"github.com/tracemap/tracemap/internal/heat"
)

// Mode is what a heatmap stage does.
type Mode string

const (
	// ModeCount counts every span into the window (before sampling) and
	// writes the service values on each resource.
	ModeCount Mode = "count"
	// ModeAnnotate counts nothing: it writes the per-span operation, edge
	// and own-error values on the spans it sees (the traces sampling kept),
	// from the window of the counting stage named by Source.
	ModeAnnotate Mode = "annotate"
)

// ServiceAttributes is which service values a counting stage writes on
// each resource.
type ServiceAttributes string

const (
	// ServiceAttributesAll writes every tracemap.service.* value.
	ServiceAttributesAll ServiceAttributes = "all"
	// ServiceAttributesHot writes only tracemap.service.hot, what the
	// shipped sampling policies read; the annotate stage after sampling
	// writes the other values on the traces sampling keeps.
	ServiceAttributesHot ServiceAttributes = "hot"
)

// Config is the heatmap processor's configuration: the heat tracker's
// settings, at the top level of the processor's block, and the stage's
// mode. See README.md.
type Config struct {
	heat.Config `mapstructure:",squash"`

	// Mode is count (default) or annotate.
	Mode Mode `mapstructure:"mode"`
	// Source is the component ID of the counting stage (e.g. heatmap)
	// whose window an annotate stage reads; only for mode annotate.
	Source string `mapstructure:"source"`
	// SpanAttributes makes a counting stage also write the per-span values,
	// for pipelines without sampling (they cost a write on every span).
	SpanAttributes bool `mapstructure:"span_attributes"`
	// ServiceAttributes is all (default) or hot; only for mode count.
	ServiceAttributes ServiceAttributes `mapstructure:"service_attributes"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{Config: heat.DefaultConfig(), Mode: ModeCount, ServiceAttributes: ServiceAttributesAll}
}

// Validate checks every setting; each message starts with its key.
func (c *Config) Validate() error {
	var p confcheck.Problems
	p.Squashed(c.Config.Check())
	switch c.Mode {
	case ModeCount:
		if c.Source != "" {
			p.Addf("source", "only for mode %s, got %q with mode %s", ModeAnnotate, c.Source, c.Mode)
		}
		switch c.ServiceAttributes {
		case ServiceAttributesAll:
		case ServiceAttributesHot:
			if c.SpanAttributes {
				p.Addf("service_attributes", "%s leaves values out for an annotate stage to write, span_attributes: true writes every value", ServiceAttributesHot)
			}
		default:
			p.Addf("service_attributes", "must be %s or %s, got %q", ServiceAttributesAll, ServiceAttributesHot, string(c.ServiceAttributes))
		}
	case ModeAnnotate:
		var id component.ID
		if c.Source == "" {
			p.Addf("source", "required with mode %s: the component ID of the counting heatmap stage, e.g. heatmap", ModeAnnotate)
		} else if err := id.UnmarshalText([]byte(c.Source)); err != nil {
			p.Add("source", err)
		} else if id.Type() != NewFactory().Type() {
			p.Addf("source", "%q is not a heatmap stage", c.Source)
		}
		if c.SpanAttributes {
			p.Addf("span_attributes", "only for mode %s: an annotate stage always writes the span values", ModeCount)
		}
		if c.ServiceAttributes != ServiceAttributesAll {
			p.Addf("service_attributes", "only for mode %s: an annotate stage writes the service values a resource lacks", ModeCount)
		}
	default:
		p.Addf("mode", "must be %s or %s, got %q", ModeCount, ModeAnnotate, string(c.Mode))
	}
	return p.Err()
}

// sourceID is the parsed Source of a validated annotate config.
func (c *Config) sourceID() component.ID {
	var id component.ID
	_ = id.UnmarshalText([]byte(c.Source))
	return id
}
