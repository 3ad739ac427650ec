package store

import "go.opentelemetry.io/otel/attribute"

func attrKind(k string) attribute.KeyValue    { return attribute.String("kind", k) }
func attrOutcome(o string) attribute.KeyValue { return attribute.String("outcome", o) }
