package controller

import (
	"context"
	"reflect"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// refIndex is the field index of the resources a resource refers to.
const refIndex = "jumpgate.dev/refs"

// EventSource is the reporting controller of the operator's Events.
const EventSource = "jumpgate-operator"

// Options tune how the controllers run.
type Options struct {
	// MaxConcurrentReconciles per kind; default 4.
	MaxConcurrentReconciles int
	// SkipNameValidation allows several managers with the same controller
	// names in one process (tests).
	SkipNameValidation bool
}

// Setup registers the controller of kind k with mgr.
func Setup[O Object, A any](mgr ctrl.Manager, cfg *Config, opts Options, k *Kind[O, A]) error {
	cfg.defaults()
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 4
	}
	r := &Reconciler[O, A]{Kind: k, Client: mgr.GetClient(), Config: cfg, Recorder: mgr.GetEventRecorder(EventSource)}
	r.failures, r.waits = newRateLimiters(cfg)
	skip := opts.SkipNameValidation
	// The queue's own limiter backs off the errors a reconcile returns
	// (Kubernetes API errors), with the same bounds as appliance errors.
	queueLimiter, _ := newRateLimiters(cfg)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(strings.ToLower(k.Name)).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: opts.MaxConcurrentReconciles,
			SkipNameValidation:      &skip,
			RateLimiter:             queueLimiter,
		}).
		// Status writes change neither the generation nor the metadata
		// these predicates look at, so they never reconcile again.
		For(k.New(), builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{},
			deletionStarted{},
		)))
	for _, owned := range k.Owns {
		b = b.Owns(owned, builder.WithPredicates(predicate.ResourceVersionChangedPredicate{}))
	}
	if k.Refs != nil {
		refs := k.Refs
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), k.New(), refIndex, func(obj client.Object) []string {
			return refs(obj.(O))
		}); err != nil {
			return err
		}
		for _, rk := range k.RefKinds {
			kindName := kindOf(rk)
			b = b.Watches(rk, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
				return referrers[O](ctx, r, k, kindName, obj)
			}), builder.WithPredicates(readyChanged{}))
		}
	}
	return b.Complete(r)
}

// referrers lists the resources of kind k that refer to obj.
func referrers[O Object, A any](ctx context.Context, r *Reconciler[O, A], k *Kind[O, A], kindName string, obj client.Object) []reconcile.Request {
	list, err := listOf(r.Client.Scheme(), k.New())
	if err != nil {
		return nil
	}
	if err := r.Client.List(ctx, list, client.InNamespace(obj.GetNamespace()),
		client.MatchingFields{refIndex: RefKey(kindName, obj.GetName())}); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, item := range itemsOf(list) {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: item.GetNamespace(), Name: item.GetName()}})
	}
	return reqs
}

// deletionStarted passes the update that sets the deletion timestamp.
type deletionStarted struct{ predicate.Funcs }

func (deletionStarted) Update(e event.UpdateEvent) bool {
	return e.ObjectOld.GetDeletionTimestamp() == nil && e.ObjectNew.GetDeletionTimestamp() != nil
}
func (deletionStarted) Create(event.CreateEvent) bool   { return false }
func (deletionStarted) Delete(event.DeleteEvent) bool   { return false }
func (deletionStarted) Generic(event.GenericEvent) bool { return false }

// readyChanged passes events of a referenced resource that can unblock or
// block its referrers: creation, deletion, and a change of its Ready
// condition or appliance id.
type readyChanged struct{ predicate.Funcs }

func (readyChanged) Create(event.CreateEvent) bool   { return true }
func (readyChanged) Delete(event.DeleteEvent) bool   { return true }
func (readyChanged) Generic(event.GenericEvent) bool { return false }
func (readyChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(v1alpha1.Object)
	n, ok2 := e.ObjectNew.(v1alpha1.Object)
	if !ok1 || !ok2 {
		return true
	}
	so, sn := o.CommonStatus(), n.CommonStatus()
	return so.IsReady() != sn.IsReady() || so.ApplianceID != sn.ApplianceID ||
		(e.ObjectOld.GetDeletionTimestamp() == nil) != (e.ObjectNew.GetDeletionTimestamp() == nil)
}

// kindOf is the Kind of an empty object of this package, e.g. "JumpGroup".
func kindOf(obj client.Object) string { return reflect.TypeOf(obj).Elem().Name() }

// listOf returns an empty list of obj's kind.
func listOf(s *runtime.Scheme, obj client.Object) (client.ObjectList, error) {
	gvk, err := apiutil.GVKForObject(obj, s)
	if err != nil {
		return nil, err
	}
	gvk.Kind += "List"
	l, err := s.New(gvk)
	if err != nil {
		return nil, err
	}
	return l.(client.ObjectList), nil
}

// itemsOf returns the items of a list.
func itemsOf(l client.ObjectList) []client.Object {
	objs, err := apimeta.ExtractList(l)
	if err != nil {
		return nil
	}
	out := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		if co, ok := o.(client.Object); ok {
			out = append(out, co)
		}
	}
	return out
}
