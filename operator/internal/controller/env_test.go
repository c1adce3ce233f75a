package controller_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/envtesting"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
	"github.com/jumpgate/jumpgate/operator/internal/controller"
)

// These tests run the operator's controllers against a real kube-apiserver
// and etcd (envtest, one for the package) and a real in-process appliance
// (appliancetest, one per test). Each test gets its own namespace and its
// own manager, which watches only that namespace, so tests run in parallel.

var (
	restConfig *rest.Config
	scheme     *runtime.Scheme
	k8s        client.Client
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("JUMPGATE_OPERATOR_TEST_LOG") != "" {
		log.SetLogger(zap.New(zap.UseDevMode(true)))
	} else {
		log.SetLogger(zap.New(zap.WriteTo(discard{})))
	}
	te, err := envtesting.Start(filepath.Join("..", "..", "..", "crds"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := te.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	restConfig, scheme, k8s = te.Config, te.Scheme, te.Client
	return m.Run()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// env is one test's namespace, appliance and running operator.
type env struct {
	t   *testing.T
	ctx context.Context
	// NS is the test's namespace.
	NS string
	// OtherNS are further namespaces the operator watches (newEnvNamespaces).
	OtherNS []string
	// Appliance is the test's appliance; API is its admin client, which
	// the operator uses too.
	Appliance *appliancetest.Server
	API       *api.Client
	// Config is the operator's configuration (read-only once started).
	Config *controller.Config

	mu         sync.Mutex
	reconciles map[string][]time.Time // "<Kind>/<name>" → start of each reconcile
}

// envConfig is what envOptions change: the operator's configuration, and
// its manager's logger (default: the package's, see run).
type envConfig struct {
	*controller.Config
	logger *logr.Logger
}

// envOption changes the operator's configuration before it starts.
type envOption func(*envConfig)

// withResync sets the resync period (default: 1 hour, so tests that want a
// resync ask for it).
func withResync(d time.Duration) envOption {
	return func(c *envConfig) { c.ResyncPeriod = d }
}

// withLogger makes the operator log to l.
func withLogger(l logr.Logger) envOption {
	return func(c *envConfig) { c.logger = &l }
}

// newEnv starts an appliance and the operator for one test, in a fresh
// namespace; both stop when the test ends.
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	return newEnvNamespaces(t, 0, opts...)
}

// newEnvNamespaces is newEnv with others further fresh namespaces (env.OtherNS)
// that the operator watches too.
func newEnvNamespaces(t *testing.T, others int, opts ...envOption) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv := appliancetest.NewServer(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	e := &env{
		t: t, ctx: ctx, Appliance: srv, API: srv.Admin,
		NS:         strings.ToLower(strings.NewReplacer("_", "-", "/", "-").Replace(t.Name())),
		reconciles: map[string][]time.Time{},
	}
	if len(e.NS) > 40 {
		e.NS = strings.TrimRight(e.NS[:40], "-")
	}
	e.NS += "-" + hex.EncodeToString(b)
	require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.NS}}))
	watched := map[string]cache.Config{e.NS: {}}
	for i := 1; i <= others; i++ {
		ns := fmt.Sprintf("%s-%d", e.NS, i)
		require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
		e.OtherNS = append(e.OtherNS, ns)
		watched[ns] = cache.Config{}
	}
	cfg := &controller.Config{
		API:          srv.Admin,
		ResyncPeriod: time.Hour,
		BackoffBase:  100 * time.Millisecond,
		BackoffMax:   2 * time.Second,
		OnReconcile: func(kind string, key types.NamespacedName) {
			e.mu.Lock()
			e.reconciles[kind+"/"+key.Name] = append(e.reconciles[kind+"/"+key.Name], time.Now())
			e.mu.Unlock()
		},
	}
	ec := &envConfig{Config: cfg}
	for _, o := range opts {
		o(ec)
	}
	e.Config = cfg
	mo := ctrl.Options{
		Scheme:                 scheme,
		Cache:                  cache.Options{DefaultNamespaces: watched},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	}
	if ec.logger != nil {
		mo.Logger = *ec.logger
	}
	mgr, err := ctrl.NewManager(restConfig, mo)
	require.NoError(t, err)
	require.NoError(t, controller.SetupAll(mgr, cfg, controller.Options{SkipNameValidation: true}))
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("manager: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("the manager did not stop within 30 s")
		}
	})
	return e
}

// Reconciles is how many times the operator has reconciled kind/name.
func (e *env) Reconciles(kind, name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.reconciles[kind+"/"+name])
}

// ReconcileTimes is when each reconcile of kind/name started.
func (e *env) ReconcileTimes(kind, name string) []time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Time(nil), e.reconciles[kind+"/"+name]...)
}

// Create creates obj in the test's namespace and fails the test on error.
func (e *env) Create(obj client.Object) {
	e.t.Helper()
	obj.SetNamespace(e.NS)
	require.NoError(e.t, k8s.Create(e.ctx, obj), "creating %s %s", kindName(obj), obj.GetName())
}

// Get reads obj (by its name, in its namespace or else the test's) again.
func (e *env) Get(obj client.Object) error {
	return k8s.Get(e.ctx, types.NamespacedName{Namespace: e.nsOf(obj), Name: obj.GetName()}, obj)
}

// nsOf is obj's namespace, or the test's when it has none.
func (e *env) nsOf(obj client.Object) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns
	}
	return e.NS
}

// Update reads obj, applies change to it and writes it, retrying on
// conflicts (the operator writes status and finalizers concurrently).
func (e *env) Update(obj client.Object, change func()) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		if err := e.Get(obj); err != nil {
			return false
		}
		change()
		err := k8s.Update(e.ctx, obj)
		if err != nil && !apierrors.IsConflict(err) {
			require.NoError(e.t, err)
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
}

// Delete deletes obj and waits until it is gone (finalizer done).
func (e *env) Delete(obj client.Object) {
	e.t.Helper()
	require.NoError(e.t, client.IgnoreNotFound(k8s.Delete(e.ctx, obj)))
	e.Eventually(func() error {
		err := e.Get(obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("still there, finalizers %v, conditions %s", obj.GetFinalizers(), conditions(obj))
	}, "%s %s to be deleted", kindName(obj), obj.GetName())
}

// Eventually retries f until it returns nil, for up to 30 s, and fails the
// test with f's last error otherwise.
func (e *env) Eventually(f func() error, what string, args ...any) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("waiting for "+what+": %v", append(args, err)...)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// WaitReady waits until obj is Ready=True for its current generation and
// returns its appliance id.
func (e *env) WaitReady(obj client.Object) int64 {
	e.t.Helper()
	e.WaitCondition(obj, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	return obj.(v1alpha1.Object).CommonStatus().ApplianceID
}

// WaitCondition waits until obj has condition typ with this status and
// reason for its current generation, and returns the condition.
func (e *env) WaitCondition(obj client.Object, typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
	e.t.Helper()
	var got metav1.Condition
	e.Eventually(func() error {
		if err := e.Get(obj); err != nil {
			return err
		}
		st := obj.(v1alpha1.Object).CommonStatus()
		c := apimeta.FindStatusCondition(st.Conditions, typ)
		switch {
		case st.ObservedGeneration != obj.GetGeneration():
			return fmt.Errorf("status is of generation %d, the object is at %d; conditions %s", st.ObservedGeneration, obj.GetGeneration(), conditions(obj))
		case c == nil || c.Status != status || c.Reason != reason:
			return fmt.Errorf("conditions %s", conditions(obj))
		}
		got = *c
		return nil
	}, "%s %s to have %s=%s (%s)", kindName(obj), obj.GetName(), typ, status, reason)
	return got
}

// Events returns the Events recorded on obj (in its namespace or else the
// test's), oldest first.
func (e *env) Events(obj client.Object) []eventsv1.Event {
	e.t.Helper()
	var l eventsv1.EventList
	require.NoError(e.t, k8s.List(e.ctx, &l, client.InNamespace(e.nsOf(obj))))
	var out []eventsv1.Event
	for _, ev := range l.Items {
		if ev.Regarding.Name == obj.GetName() && ev.Regarding.Kind == kindName(obj) {
			out = append(out, ev)
		}
	}
	return out
}

// WaitEvent waits for an Event with this reason on obj and returns it.
func (e *env) WaitEvent(obj client.Object, reason string) eventsv1.Event {
	e.t.Helper()
	var got eventsv1.Event
	e.Eventually(func() error {
		var reasons []string
		for _, ev := range e.Events(obj) {
			if ev.Reason == reason {
				got = ev
				return nil
			}
			reasons = append(reasons, ev.Reason)
		}
		return fmt.Errorf("events so far: %v", reasons)
	}, "an Event %s on %s", reason, obj.GetName())
	return got
}

func kindName(obj client.Object) string {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return fmt.Sprintf("%T", obj)
	}
	return gvk.Kind
}

func conditions(obj client.Object) string {
	o, ok := obj.(v1alpha1.Object)
	if !ok {
		return ""
	}
	var parts []string
	for _, c := range o.CommonStatus().Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s/%s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}
