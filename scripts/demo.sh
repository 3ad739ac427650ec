#!/usr/bin/env bash
# make demo: the tracemap collector on examples/demo/config.yaml, the demo
# shop sending it traffic, pictures under ./out/ within a minute.
# DEMO_DURATION=30s stops it by itself (default: until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DEMO_DURATION:-0}
mkdir -p out bin
go build -o bin/demoshop ./cmd/demoshop
# The same program under another name: the uninstrumented shipping service,
# which the ebpf receiver finds by executable name.
cp bin/demoshop bin/shipping

configs=(--config examples/demo/config.yaml)
if [ "$(id -u)" = 0 ] && [ -e /sys/kernel/btf/vmlinux ] && distro/otelcol-tracemap components | grep -q -- '- name: ebpf$'; then
  configs+=(--config examples/demo/ebpf-overlay.yml)
  echo "demo: running as root: the ebpf receiver traces the uninstrumented shipping service"
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

bin/shipping -role shipping -shipping 127.0.0.1:8085 &
pids+=($!)
distro/otelcol-tracemap "${configs[@]}" > out/collector.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:13133/ >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS http://127.0.0.1:13133/ >/dev/null || { echo "demo: the collector did not start; see out/collector.log"; tail -20 out/collector.log; exit 1; }

cat <<MSG
demo: collector up (OTLP 127.0.0.1:4317), demo shop sending 20 requests/s.
demo: open http://127.0.0.1:8787/ : the live service map, each service's
demo: exemplar traces, zoomable trace pictures (the tracemap extension).
demo: the files behind it appear within seconds under ./out/:
        out/windows/<day>/index.html            the 10-second windows, newest first
        out/windows/<day>/<time>/index-*.html   a window: its service map and exemplars by service and reason
demo: Ctrl-C stops it.
MSG
bin/demoshop -role shop -collector 127.0.0.1:4317 -shipping 127.0.0.1:8085 -rate 20 -duration "$duration"
# Let the last sampling decisions and service map land before stopping.
sleep 5
