// Package envtesting starts the real kube-apiserver and etcd of envtest with
// the operator's CRDs installed, for the tests of the operator, the
// end-to-end tests and the benchmarks.
//
// The binaries come from KUBEBUILDER_ASSETS, which hack/install-test-deps.sh
// sets up (make test runs it). Without them Start fails rather than skip:
// these tests are the only check that the operator works against a real API
// server.
package envtesting

import (
	"errors"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// Env is a running kube-apiserver and etcd.
type Env struct {
	// Environment is envtest's handle, e.g. for AddUser.
	Environment *envtest.Environment
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Scheme knows client-go's kinds and jumpgate.dev/v1alpha1.
	Scheme *runtime.Scheme
	// Client is an uncached client with Config and Scheme.
	Client client.Client
}

// Start starts envtest with the CRDs in crdDir (the repository's crds/)
// installed.
func Start(crdDir string) (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" && os.Getenv("USE_EXISTING_CLUSTER") != "true" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run hack/install-test-deps.sh and source ~/.cache/jumpgate/env.sh " +
			"(it points KUBEBUILDER_ASSETS at the etcd and kube-apiserver it built), or use make test")
	}
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{crdDir}, ErrorIfCRDPathMissing: true, Scheme: s}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest (KUBEBUILDER_ASSETS=%s): %w", os.Getenv("KUBEBUILDER_ASSETS"), err)
	}
	// Tests create objects quickly: client-go's default of 5 requests per
	// second would be the bottleneck.
	cfg.QPS, cfg.Burst = 500, 1000
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &Env{Environment: env, Config: cfg, Scheme: s, Client: c}, nil
}

// Stop stops the API server and etcd.
func (e *Env) Stop() error {
	if err := e.Environment.Stop(); err != nil {
		return fmt.Errorf("stopping envtest: %w", err)
	}
	return nil
}
