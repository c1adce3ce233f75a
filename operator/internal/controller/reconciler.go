package controller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// Reconciler reconciles one Kind.
type Reconciler[O Object, A any] struct {
	Kind     *Kind[O, A]
	Client   client.Client
	Config   *Config
	Recorder events.EventRecorder

	// failures backs a resource off after appliance errors, waits while it
	// waits for a reference (newRateLimiters). They are the reconciler's
	// own, not the controller's queue's: controller-runtime forgets an item
	// in its queue's limiter whenever a reconcile returns RequeueAfter.
	failures, waits workqueue.TypedRateLimiter[reconcile.Request]
}

// newRateLimiters returns the per-item exponential back-off after appliance
// errors (BackoffBase doubling up to BackoffMax) and the one of reference
// waits (the same, capped at 30 s).
func newRateLimiters(cfg *Config) (failures, waits workqueue.TypedRateLimiter[reconcile.Request]) {
	return workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](cfg.BackoffBase, cfg.BackoffMax),
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](cfg.BackoffBase, min(cfg.BackoffMax, maxWaitRetry))
}

// maxWaitRetry caps the retry delay of a reference wait: watches bring
// changes of referenced resources, but appliance-side references (group
// policies, users) are polled.
const maxWaitRetry = 30 * time.Second

// outcome is what one sync found, before it becomes conditions.
type outcome struct {
	err      error  // an appliance (or Kubernetes) error: back off
	wait     string // a reference is not ready
	notOwned string // the appliance object belongs to someone else
	// On success:
	action    string   // ActionCreated, ActionUpdated, ActionDriftCorrected, ActionAdopted or ""
	drift     []string // fields written back when action is DriftCorrected
	readiness Readiness
}

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler[O, A]) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if r.Config.OnReconcile != nil {
		r.Config.OnReconcile(r.Kind.Name, req.NamespacedName)
	}
	o := r.Kind.New()
	if err := r.Client.Get(ctx, req.NamespacedName, o); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if o.GetDeletionTimestamp() != nil {
		return r.finalize(ctx, req, o)
	}
	if !controllerutil.ContainsFinalizer(o, v1alpha1.Finalizer) {
		controllerutil.AddFinalizer(o, v1alpha1.Finalizer)
		if err := r.Client.Update(ctx, o); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := o.DeepCopyObject().(O)
	out := r.sync(ctx, o)
	res := r.apply(ctx, req, o, out)
	stale, err := r.writeStatus(ctx, before, o)
	if err != nil {
		return res, err
	}
	if stale {
		return ctrl.Result{RequeueAfter: staleStatusRetry}, nil
	}
	return res, nil
}

// sync makes the appliance object match the spec.
func (r *Reconciler[O, A]) sync(ctx context.Context, o O) outcome {
	k, cfg := r.Kind, r.Config
	h := r.hooks(ctx, o)
	if k.Claim != nil {
		msg, err := k.Claim(ctx, h, o)
		if err != nil {
			return outcome{err: err}
		}
		if msg != "" {
			return outcome{notOwned: msg}
		}
	}
	desired, err := k.Desired(ctx, NewResolver(r.Client, cfg.API, o.GetNamespace()), o)
	if w, ok := isWait(err); ok {
		return outcome{wait: w.Msg}
	}
	if err != nil {
		return outcome{err: err}
	}
	f, err := r.find(ctx, o)
	switch {
	case err != nil:
		return outcome{err: err}
	case f.notOwned != "":
		return outcome{notOwned: f.notOwned}
	}
	actual := f.actual
	st := o.CommonStatus()
	var out outcome
	if actual == nil {
		setLabels(desired, cfg.OwnerLabels(o))
		created, err := k.Create(cfg.API, ctx, desired)
		if err != nil {
			return outcome{err: err}
		}
		actual, out.action = created, ActionCreated
		if f.gone {
			out.action, out.drift = ActionDriftCorrected, []string{"(deleted in the appliance; created again)"}
		}
	} else {
		if k.Canon != nil {
			k.Canon(desired)
			k.Canon(actual)
		}
		changed := diff(desired, actual, k.Clearable...)
		relabel := !k.Singleton && cfg.ownedBy(o, labelsOf(actual)) != ""
		if len(changed) > 0 || relabel {
			if !k.Singleton {
				labels := map[string]string{}
				for key, v := range labelsOf(actual) {
					labels[key] = v
				}
				for key, v := range cfg.OwnerLabels(o) {
					labels[key] = v
				}
				setLabels(desired, labels)
			}
			updated, err := k.Update(cfg.API, ctx, metaOf(actual).ID, desired, api.IfMatch(metaOf(actual).Version))
			if err != nil {
				return outcome{err: err}
			}
			actual = updated
			switch {
			case f.adopt:
				out.action = ActionAdopted
			case st.ObservedGeneration == o.GetGeneration() && st.ApplianceID == metaOf(actual).ID && len(changed) > 0:
				out.action, out.drift = ActionDriftCorrected, changed
			case len(changed) > 0 || relabel:
				out.action = ActionUpdated
			}
		} else if f.adopt {
			out.action = ActionAdopted
		}
	}
	st.ApplianceID = metaOf(actual).ID
	if k.After != nil {
		rd, err := k.After(ctx, h, o, actual)
		if err != nil {
			out.err = err
			return out
		}
		out.readiness = rd
	}
	return out
}

// found is what find found.
type found[A any] struct {
	// actual is the appliance object, or nil when there is none to use.
	actual *A
	// gone is set when the status named an object that no longer exists.
	gone bool
	// notOwned, when set, explains why an object with the same key cannot
	// be taken over.
	notOwned string
	// adopt is set when actual is being taken over (the adopt annotation).
	adopt bool
}

// find looks up the appliance object of o: by the id in its status, else by
// the owner labels, else by its unique key.
func (r *Reconciler[O, A]) find(ctx context.Context, o O) (found[A], error) {
	k, cfg := r.Kind, r.Config
	ac := cfg.API
	if k.Singleton {
		a, err := k.Get(ac, ctx, 0)
		return found[A]{actual: a}, err
	}
	var f found[A]
	if id := o.CommonStatus().ApplianceID; id != 0 {
		a, err := k.Get(ac, ctx, id)
		switch {
		case errors.Is(err, api.ErrNotFound):
			f.gone = true
		case err != nil:
			return found[A]{}, err
		default:
			if cfg.ownedBy(o, labelsOf(a)) == "" {
				return found[A]{actual: a}, nil
			}
			// The id names an object without our labels (they were
			// removed, the status was edited, or the id was reused):
			// never take it on the status's word; look again, so that
			// only the adopt annotation can take it over.
		}
	}
	if a, err := r.findOwned(ctx, o); err != nil || a != nil {
		f.actual = a
		return f, err
	}
	if k.Key == nil {
		return f, nil
	}
	filter, value := k.Key(o)
	if filter == "" {
		return f, nil
	}
	l, err := k.List(ac, ctx, &api.ListOptions{Filters: map[string]string{filter: value}, Limit: 2})
	if err != nil {
		return found[A]{}, err
	}
	if len(l.Items) == 0 {
		return f, nil
	}
	a := &l.Items[0]
	who := cfg.ownedBy(o, labelsOf(a))
	if who == "" {
		f.actual = a
		return f, nil
	}
	if o.GetAnnotations()[v1alpha1.AdoptAnnotation] == "true" {
		f.actual, f.adopt = a, true
		return f, nil
	}
	return found[A]{notOwned: fmt.Sprintf("the appliance already has a %s with %s %q (id %d), owned by %s; set the annotation %s: \"true\" to take it over",
		k.Noun, filter, value, metaOf(a).ID, who, v1alpha1.AdoptAnnotation)}, nil
}

// listOwned lists the appliance objects that carry o's owner labels and
// that o owns by every label (the API's selector cannot say "without the
// cluster label", so an operator without --cluster-name filters out other
// clusters' objects here).
func (r *Reconciler[O, A]) listOwned(ctx context.Context, o O) ([]*A, error) {
	l, err := r.Kind.List(r.Config.API, ctx, &api.ListOptions{LabelSelector: r.Config.ownerSelector(o), Limit: 100})
	if err != nil {
		return nil, err
	}
	var out []*A
	for i := range l.Items {
		if r.Config.ownedBy(o, labelsOf(&l.Items[i])) == "" {
			out = append(out, &l.Items[i])
		}
	}
	return out, nil
}

// findOwned returns the first appliance object o owns by its labels, or nil.
func (r *Reconciler[O, A]) findOwned(ctx context.Context, o O) (*A, error) {
	owned, err := r.listOwned(ctx, o)
	if err != nil || len(owned) == 0 {
		return nil, err
	}
	return owned[0], nil
}

// apply turns an outcome into conditions, Events and the next reconcile.
func (r *Reconciler[O, A]) apply(ctx context.Context, req ctrl.Request, o O, out outcome) ctrl.Result {
	st := o.CommonStatus()
	gen := o.GetGeneration()
	log := ctrl.LoggerFrom(ctx)
	// A copy: SetStatusCondition below changes the condition in place.
	var prevReady *metav1.Condition
	if c := apimeta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady); c != nil {
		prev := *c
		prevReady = &prev
	}
	set := func(typ string, status metav1.ConditionStatus, reason, msg string) {
		apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen,
		})
	}
	transition := func(reason string) bool { return prevReady == nil || prevReady.Reason != reason }
	st.ObservedGeneration = gen
	switch {
	case out.notOwned != "":
		set(v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonNotOwned, out.notOwned)
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned, out.notOwned)
		if transition(v1alpha1.ReasonNotOwned) {
			r.event(o, corev1.EventTypeWarning, v1alpha1.ReasonNotOwned, "Refuse", out.notOwned)
			log.Info("not owned", "kind", r.Kind.Name, "reason", out.notOwned)
		}
		r.forget(req)
		return ctrl.Result{RequeueAfter: r.resync()}
	case out.wait != "":
		set(v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference, out.wait)
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference, out.wait)
		if transition(v1alpha1.ReasonWaitingForReference) {
			r.event(o, corev1.EventTypeNormal, v1alpha1.ReasonWaitingForReference, "Wait", out.wait)
			log.V(1).Info("waiting for a reference", "kind", r.Kind.Name, "reason", out.wait)
		}
		return ctrl.Result{RequeueAfter: r.waits.When(req)}
	case out.err != nil:
		msg := describe(out.err)
		set(v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonApplianceError, msg)
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonApplianceError, msg)
		r.event(o, corev1.EventTypeWarning, v1alpha1.ReasonApplianceError, "Sync", msg)
		if errors.Is(out.err, api.ErrPreconditionFailed) {
			// Someone wrote the object between our read and write: read
			// it again now. Not an error worth an operator's attention.
			log.V(1).Info("written concurrently in the appliance; reading it again", "kind", r.Kind.Name, "applianceID", st.ApplianceID)
			return ctrl.Result{RequeueAfter: 100 * time.Millisecond}
		}
		logApplianceError(ctx, out.err, r.Kind.Name, "sync", st.ApplianceID)
		return ctrl.Result{RequeueAfter: r.failures.When(req)}
	}
	r.forget(req)
	what := named(r.Kind.Noun, st.ApplianceID)
	syncReason, syncMsg := v1alpha1.ReasonReconciled, fmt.Sprintf("the appliance's %s matches the spec", what)
	switch out.action {
	case ActionCreated:
		r.act(ctx, o, ActionCreated, "Create", fmt.Sprintf("created %s in the appliance", what), st.ApplianceID)
	case ActionUpdated:
		r.act(ctx, o, ActionUpdated, "Update", fmt.Sprintf("wrote the spec to %s", what), st.ApplianceID)
	case ActionAdopted:
		r.act(ctx, o, ActionAdopted, "Adopt", fmt.Sprintf("took over %s, as the %s annotation asks", what, v1alpha1.AdoptAnnotation), st.ApplianceID)
	case ActionDriftCorrected:
		syncReason = v1alpha1.ReasonDriftCorrected
		syncMsg = fmt.Sprintf("%s had been changed in the appliance (%s); the spec was written back", what, strings.Join(out.drift, ", "))
		r.act(ctx, o, ActionDriftCorrected, "Correct", syncMsg, st.ApplianceID, "fields", out.drift)
	}
	set(v1alpha1.ConditionSynced, metav1.ConditionTrue, syncReason, syncMsg)
	res := ctrl.Result{RequeueAfter: r.resync()}
	if rd := out.readiness; rd.NotReady {
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, rd.Reason, rd.Message)
		if transition(rd.Reason) {
			r.event(o, corev1.EventTypeNormal, rd.Reason, "Wait", rd.Message)
		}
	} else {
		msg := rd.Message
		if msg == "" {
			msg = syncMsg
			if syncReason == v1alpha1.ReasonDriftCorrected {
				msg = fmt.Sprintf("the appliance's %s matches the spec", what)
			}
		}
		set(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled, msg)
	}
	if d := out.readiness.RequeueAfter; d > 0 && d < res.RequeueAfter {
		res.RequeueAfter = d
	}
	return res
}

// finalize deletes the appliance object of a resource being deleted, then
// drops the finalizer.
func (r *Reconciler[O, A]) finalize(ctx context.Context, req ctrl.Request, o O) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(o, v1alpha1.Finalizer) {
		return ctrl.Result{}, nil
	}
	before := o.DeepCopyObject().(O)
	err := r.deleteAppliance(ctx, o)
	if err != nil {
		msg := "deleting the appliance object: " + describe(err)
		st := o.CommonStatus()
		st.ObservedGeneration = o.GetGeneration()
		apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
			Reason: v1alpha1.ReasonDeleting, Message: msg, ObservedGeneration: o.GetGeneration()})
		apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
			Reason: v1alpha1.ReasonApplianceError, Message: msg, ObservedGeneration: o.GetGeneration()})
		r.event(o, corev1.EventTypeWarning, v1alpha1.ReasonApplianceError, "Delete", msg)
		logApplianceError(ctx, err, r.Kind.Name, "delete", st.ApplianceID)
		if _, werr := r.writeStatus(ctx, before, o); werr != nil {
			return ctrl.Result{}, werr
		}
		return ctrl.Result{RequeueAfter: r.failures.When(req)}, nil
	}
	r.forget(req)
	controllerutil.RemoveFinalizer(o, v1alpha1.Finalizer)
	if err := r.Client.Update(ctx, o); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

func (r *Reconciler[O, A]) deleteAppliance(ctx context.Context, o O) error {
	k, cfg := r.Kind, r.Config
	h := r.hooks(ctx, o)
	if k.Finalize != nil {
		if err := k.Finalize(ctx, h, o); err != nil {
			return err
		}
	}
	if k.Singleton {
		if k.Claim != nil {
			if msg, err := k.Claim(ctx, h, o); err != nil || msg != "" {
				return err // not ours to reset
			}
		}
		if k.Reset == nil {
			return nil
		}
		if err := k.Reset(cfg.API, ctx); err != nil {
			return err
		}
		r.act(ctx, o, ActionDeleted, "Delete", "restored the appliance's defaults", 0)
		return nil
	}
	var ids []int64
	if id := o.CommonStatus().ApplianceID; id != 0 {
		a, err := k.Get(cfg.API, ctx, id)
		switch {
		case errors.Is(err, api.ErrNotFound):
		case err != nil:
			return err
		default:
			if cfg.ownedBy(o, labelsOf(a)) == "" {
				ids = append(ids, id)
			}
		}
	}
	// Also what carries our owner labels, e.g. created just before a
	// status write that failed.
	owned, err := r.listOwned(ctx, o)
	if err != nil {
		return err
	}
	for _, a := range owned {
		if id := metaOf(a).ID; len(ids) == 0 || ids[0] != id {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if err := k.Delete(cfg.API, ctx, id); err != nil && !errors.Is(err, api.ErrNotFound) {
			return err
		}
		r.act(ctx, o, ActionDeleted, "Delete", fmt.Sprintf("deleted %s %d from the appliance", k.Noun, id), id)
	}
	return nil
}

// staleStatusRetry is how soon a reconcile whose status write lost to a
// newer version of the resource runs again.
const staleStatusRetry = 100 * time.Millisecond

// writeStatus writes o's status when it differs from before's. stale
// reports a conflict: o was read from a cache that had not seen a newer
// version yet, often this controller's own last status write, whose event
// the predicates drop; the reconcile must run again to record its outcome.
func (r *Reconciler[O, A]) writeStatus(ctx context.Context, before, o O) (stale bool, err error) {
	if equality.Semantic.DeepEqual(before, o) {
		return false, nil
	}
	err = r.Client.Status().Update(ctx, o)
	switch {
	case apierrors.IsConflict(err):
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil // it is gone
	}
	return false, err
}

func (r *Reconciler[O, A]) hooks(ctx context.Context, o O) *Hooks {
	return &Hooks{
		Client: r.Client, API: r.Config.API, Config: r.Config,
		Event: func(eventType, reason, action, note string) {
			if eventType == corev1.EventTypeNormal {
				r.act(ctx, o, reason, action, note, o.CommonStatus().ApplianceID)
				return
			}
			r.event(o, eventType, reason, action, note)
		},
	}
}

// act records an action: a Normal Event with the action as its reason, and
// a log line at V(1) with the action as its message and kv added.
func (r *Reconciler[O, A]) act(ctx context.Context, o O, action, verb, note string, id int64, kv ...any) {
	r.event(o, corev1.EventTypeNormal, action, verb, note)
	logAction(ctrl.LoggerFrom(ctx), action, r.Kind.Name, id, note, kv...)
}

func (r *Reconciler[O, A]) event(o O, eventType, reason, action, note string) {
	if r.Recorder == nil {
		return
	}
	if len(note) > 1000 {
		note = note[:1000]
	}
	r.Recorder.Eventf(o, nil, eventType, reason, action, "%s", note)
}

// forget ends the back-off of req after an outcome that is neither an
// appliance error nor a wait.
func (r *Reconciler[O, A]) forget(req ctrl.Request) {
	r.failures.Forget(req)
	r.waits.Forget(req)
}

// resync is the resync period with up to 10% jitter, so resources created
// together do not resync together.
func (r *Reconciler[O, A]) resync() time.Duration {
	p := r.Config.ResyncPeriod
	return p + time.Duration(rand.Int64N(int64(p)/10+1))
}

// named is "jump group 12", or the noun alone for objects without an id
// (the singletons JumpClientSettings and ConsoleSettings).
func named(noun string, id int64) string {
	if id == 0 {
		return noun
	}
	return fmt.Sprintf("%s %d", noun, id)
}

// describe words an error for a condition message: the appliance's problem
// detail and field errors when it is one.
func describe(err error) string {
	var p *api.Problem
	if errors.As(err, &p) {
		msg := fmt.Sprintf("the appliance answered %d %s", p.Status, p.Title)
		if p.Detail != "" {
			msg += ": " + p.Detail
		}
		for _, fe := range p.Errors {
			msg += "; " + fe.Field + ": " + fe.Detail
		}
		return msg
	}
	return err.Error()
}
