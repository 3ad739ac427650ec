package traceio

// Tag names for what Jaeger and Zipkin carry as tags and OTLP has fields
// for, as the collector's translators name them: read here, written by
// internal/tracewrite.
const (
	TagSpanKind          = "span.kind"
	TagStatusCode        = "otel.status_code"
	TagStatusDescription = "otel.status_description"
	TagError             = "error"
	TagScopeName         = "otel.scope.name"
	TagScopeVersion      = "otel.scope.version"
	// TagLibraryName and TagLibraryVersion name the scope before
	// OpenTelemetry 1.x; read, never written.
	TagLibraryName    = "otel.library.name"
	TagLibraryVersion = "otel.library.version"
	TagTraceState     = "w3c.tracestate"
	// TagLinkPrefix + index holds a link in Zipkin:
	// "traceid|spanid|tracestate|{attributes as JSON}|dropped attributes".
	TagLinkPrefix = "otlp.link."
	// TagEvent is the Jaeger log field holding the event name.
	TagEvent = "event"
)
