package layout

// For the e2e test (package layout_test): the same expectations as the
// unit tests.
var (
	FiveServicesAttrs = fiveServicesAttrs
	SpanAttrs         = spanAttrs
	CheckAttrs        = checkAttrs
	RootDAG           = rootDAG
)
