// Package controller reconciles the custom resources of jumpgate.dev/v1alpha1
// into the appliance, through its public API (api.Client) only.
//
// One generic reconciler (Reconciler) does the work that every kind shares:
// the finalizer, finding the appliance object (by the id in the status, by
// the operator's owner label, then by the unique key, refusing objects the
// operator did not create unless the resource asks to adopt them), writing
// the spec when the appliance object differs (a spec change, or drift made
// in the appliance, which is reported as an Event), status conditions,
// back-off on appliance errors and the periodic resync. Each kind is a Kind
// value: how to build the API object from the spec and which API calls to
// use, plus optional hooks for what only it does (the installer's Secret, the
// Jumpoint's Deployment).
package controller

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// Object is a custom resource of this operator.
type Object interface {
	client.Object
	v1alpha1.Object
}

// Kind describes one custom resource kind O and the appliance type A it
// becomes. A is an api type that embeds api.Meta and, except for
// singletons, has a Labels map.
type Kind[O Object, A any] struct {
	// Name is the Kind, e.g. "JumpGroup"; Noun is how messages call the
	// appliance object, e.g. "jump group".
	Name, Noun string
	// New returns an empty O.
	New func() O

	// Key returns the appliance's unique key of the object as a list filter
	// (e.g. "code_name", "ops"), or "" when the collection has none.
	Key func(o O) (filter, value string)
	// Desired builds the appliance object from the spec, resolving
	// references with r. It returns a *WaitError (from r) while a
	// reference is missing or not Ready. Nil pointers, slices and maps in
	// the result are not managed: they are neither compared nor written.
	Desired func(ctx context.Context, r *Resolver, o O) (*A, error)
	// Canon, optional, puts set-like lists of an appliance object (desired
	// and actual alike) in a canonical order before they are compared.
	Canon func(a *A)
	// Clearable, optional, names top-level pointer fields of A (by JSON
	// name) whose nil in Desired is a value rather than "not managed": an
	// optional reference left out of the spec is then compared as absent
	// and cleared in the appliance (a PUT without the field stores null).
	Clearable []string

	// The API calls. Singletons use Get (with id 0) and Update only.
	// They have the shape of api.Client's method expressions, e.g.
	// (*api.Client).GetJumpGroup.
	Get    func(c *api.Client, ctx context.Context, id int64) (*A, error)
	List   func(c *api.Client, ctx context.Context, opts *api.ListOptions) (*api.List[A], error)
	Create func(c *api.Client, ctx context.Context, a *A) (*A, error)
	Update func(c *api.Client, ctx context.Context, id int64, a *A, opts ...api.WriteOption) (*A, error)
	Delete func(c *api.Client, ctx context.Context, id int64, opts ...api.WriteOption) error

	// Singleton marks a kind with exactly one appliance object and no
	// labels (JumpClientSettings, ConsoleSettings). Claim then decides which resource
	// manages it; Reset restores it when that resource is deleted.
	Singleton bool
	Claim     func(ctx context.Context, h *Hooks, o O) (notOwned string, err error)
	Reset     func(c *api.Client, ctx context.Context) error

	// Refs, optional, names the custom resources that o refers to, as
	// RefKey values; the controller watches them and reconciles o when one
	// becomes Ready. RefKinds are empty objects of the referenced kinds.
	Refs     func(o O) []string
	RefKinds []client.Object

	// After, optional, runs after the appliance object matches the spec:
	// it manages what else the kind owns and may report the resource as not
	// yet Ready. An error counts as an appliance error (back-off, Events).
	After func(ctx context.Context, h *Hooks, o O, a *A) (Readiness, error)
	// Finalize, optional, runs before the appliance object is deleted.
	Finalize func(ctx context.Context, h *Hooks, o O) error
	// Owns lists Kubernetes kinds the resource owns (by owner reference);
	// changes to them reconcile the owner.
	Owns []client.Object
}

// Readiness is what an After hook says about the resource.
type Readiness struct {
	// NotReady, when set, is Ready=False with this reason and message
	// instead of Ready=True.
	NotReady        bool
	Reason, Message string
	// RequeueAfter, when set, reconciles again sooner than the resync.
	RequeueAfter time.Duration
}

// Hooks is what hooks get to work with.
type Hooks struct {
	Client client.Client
	API    *api.Client
	Config *Config
	// Event records an Event on the resource being reconciled.
	Event func(eventType, reason, action, note string)
}

// RefKey is the index value naming a referenced resource: "<Kind>/<name>".
func RefKey(kind, name string) string { return kind + "/" + name }

// Config is what every controller shares.
type Config struct {
	// API is the appliance client, authenticated as an administrator.
	API *api.Client
	// Cluster, when set, is recorded as the ClusterLabel on appliance
	// objects and must match for the operator to own one, so several
	// clusters can share an appliance.
	Cluster string
	// AgentImage is the container image of jumpgate-agent that runs a
	// Jumpoint's nodes when its spec.deployment.image is empty (the
	// operator's --agent-image flag); empty means DefaultAgentImage().
	AgentImage string
	// ResyncPeriod is how often a Ready resource is compared with the
	// appliance again (drift correction); default 5 minutes, with up to
	// 10% jitter.
	ResyncPeriod time.Duration
	// BackoffBase and BackoffMax bound the retry delay after appliance
	// errors, which doubles per consecutive failure of a resource (a
	// workqueue per-item exponential rate limiter); defaults 1 s and
	// 5 min. Reference waits use the same, capped at 30 s.
	BackoffBase, BackoffMax time.Duration
	// OnReconcile, when set, is called at the start of every reconcile;
	// tests count reconciles with it.
	OnReconcile func(kind string, key types.NamespacedName)
}

func (c *Config) defaults() {
	if c.ResyncPeriod <= 0 {
		c.ResyncPeriod = 5 * time.Minute
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 5 * time.Minute
	}
}

// OwnerLabels are the labels that mark an appliance object as created by the
// resource o.
func (c *Config) OwnerLabels(o metav1.Object) map[string]string {
	m := map[string]string{
		v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue,
		v1alpha1.OwnerLabel:     v1alpha1.OwnerValue(o.GetNamespace(), o.GetName()),
	}
	if c.Cluster != "" {
		m[v1alpha1.ClusterLabel] = c.Cluster
	}
	return m
}

// ownerSelector selects the appliance objects that carry o's owner labels.
func (c *Config) ownerSelector(o metav1.Object) []string {
	var sel []string
	for k, v := range c.OwnerLabels(o) {
		sel = append(sel, k+"="+v)
	}
	return sel
}

// ownedBy describes who owns an appliance object with these labels, from
// the point of view of resource o: "" when o does, else a description of
// the owner for messages.
func (c *Config) ownedBy(o metav1.Object, labels map[string]string) string {
	want := c.OwnerLabels(o)
	mine := true
	for k, v := range want {
		if labels[k] != v {
			mine = false
		}
	}
	if c.Cluster == "" && labels[v1alpha1.ClusterLabel] != "" {
		mine = false
	}
	if mine {
		return ""
	}
	switch {
	case labels[v1alpha1.ManagedByLabel] != v1alpha1.ManagedByValue:
		return "nobody in this cluster (it was not created by the operator)"
	case labels[v1alpha1.ClusterLabel] != c.Cluster:
		return "the operator of cluster " + quoteOr(labels[v1alpha1.ClusterLabel], "(unnamed)")
	default:
		return "the resource " + quoteOr(labels[v1alpha1.OwnerLabel], "(unknown)")
	}
}

func quoteOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return `"` + s + `"`
}
