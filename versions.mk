# The release versions tracemap is built from, in one place. The Makefile
# includes this file; internal/testutil/pins reads it for the drift test
# (test/drift), which checks builder-config.yaml, test/chain's manifest, go.mod
# and the distro's resolved module graph against it, and for
# `make upgrade-check`. Change a version here, then in the manifests and go.mod
# (docs/upgrading.md says how and what holds the upgrade back).

# OpenTelemetry Collector core: the 0.x modules and the stable 1.x modules of
# the same release.
CORE_VERSION := v0.161.0
CORE_STABLE_VERSION := v1.67.0
# opentelemetry-collector-contrib, released with core under the same 0.x number.
CONTRIB_VERSION := v0.161.0
# The collector builder (go.opentelemetry.io/collector/cmd/builder).
OCB_VERSION := v0.161.0

# Tools the Makefile installs into ./bin.
GOLANGCI_LINT_VERSION := v2.15.0
VERSITYGW_VERSION := v1.8.0

# github.com/open-telemetry/opentelemetry-operator, whose API types the test
# in test/operator decodes deploy/operator/ with.
OPERATOR_VERSION := v0.140.0
