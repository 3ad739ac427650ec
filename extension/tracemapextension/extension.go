package tracemapextension

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.uber.org/zap"
	"gocloud.dev/blob"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/metadata"
	"github.com/tracemap/tracemap/extension/tracemapextension/internal/store"
	"github.com/tracemap/tracemap/extension/tracemapextension/internal/view"
	"github.com/tracemap/tracemap/internal/bucket"
)

type tracemapExtension struct {
	cfg *Config
	set extension.Settings
	tel *metadata.TelemetryBuilder

	mu       sync.Mutex
	bucket   *blob.Bucket
	store    *store.Store
	server   *http.Server
	view     *view.Handler
	stop     context.CancelFunc
	done     sync.WaitGroup
	shutdown bool
}

func newExtension(set extension.Settings, cfg *Config) (*tracemapExtension, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &tracemapExtension{cfg: cfg, set: set, tel: tel}, nil
}

func (e *tracemapExtension) Start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, err := bucket.Open(ctx, e.cfg.Bucket)
	if err != nil {
		return err
	}
	st := store.New(b, store.Options{
		Windows:       e.cfg.Windows,
		MaxTraceBytes: e.cfg.MaxTraceBytes,
		MaxTraceSpans: e.cfg.MaxTraceSpans,
		Logger:        e.set.Logger,
		Telemetry:     e.tel,
	})
	handler := view.New(st, view.Options{
		RenderTimeout:        e.cfg.RenderTimeout,
		MaxConcurrentRenders: e.cfg.MaxConcurrentRenders,
		MaxLiveClients:       e.cfg.MaxLiveClients,
		PollInterval:         e.cfg.PollInterval,
		Hot:                  e.cfg.Hot.rule(),
		Logger:               e.set.Logger,
		Telemetry:            e.tel,
	})
	if err := e.tel.RegisterExtensionTracemapWindowsCallback(st.ObserveWindows); err != nil {
		_ = b.Close()
		return err
	}
	if err := e.tel.RegisterExtensionTracemapLiveClientsCallback(handler.ObserveClients); err != nil {
		_ = b.Close()
		return err
	}
	ln, err := e.cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		_ = b.Close()
		return err
	}
	srv, err := e.cfg.ServerConfig.ToServer(ctx, host.GetExtensions(), e.set.TelemetrySettings, handler)
	if err != nil {
		_ = ln.Close()
		_ = b.Close()
		return err
	}
	runCtx, stop := context.WithCancel(context.Background())
	e.bucket, e.store, e.server, e.view, e.stop = b, st, srv, handler, stop
	e.done.Add(2)
	go func() {
		defer e.done.Done()
		st.Run(runCtx, e.cfg.PollInterval)
	}()
	go func() {
		defer e.done.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	e.set.Logger.Info("tracemap view listening", zap.String("url", "http://"+addrOf(ln)+"/"))
	return nil
}

func (e *tracemapExtension) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shutdown || e.server == nil {
		e.shutdown = true
		e.tel.Shutdown()
		return nil
	}
	e.shutdown = true
	e.view.Close()
	err := e.server.Shutdown(ctx)
	e.stop()
	e.done.Wait()
	e.tel.Shutdown()
	return errors.Join(err, e.bucket.Close())
}

func addrOf(ln net.Listener) string { return ln.Addr().String() }
