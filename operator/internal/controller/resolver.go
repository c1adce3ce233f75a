package controller

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// WaitError says that a resource cannot be written yet because something it
// refers to is missing or not Ready. The resource reports Ready=False with
// reason WaitingForReference and this message.
type WaitError struct{ Msg string }

func (e *WaitError) Error() string { return e.Msg }

// Resolver turns references of one resource into appliance ids.
type Resolver struct {
	c         client.Client
	api       *api.Client
	namespace string
}

// NewResolver resolves references of resources in namespace.
func NewResolver(c client.Client, ac *api.Client, namespace string) *Resolver {
	return &Resolver{c: c, api: ac, namespace: namespace}
}

// ID returns the appliance id of the resource named name of obj's kind (obj
// is an empty object of that kind, e.g. &v1alpha1.JumpGroup{}) in the
// resource's namespace. It answers a *WaitError while that resource is
// missing, being deleted or not Ready.
func (r *Resolver) ID(ctx context.Context, obj Object, name string) (int64, error) {
	kind := reflect.TypeOf(obj).Elem().Name()
	err := r.c.Get(ctx, types.NamespacedName{Namespace: r.namespace, Name: name}, obj)
	switch {
	case apierrors.IsNotFound(err):
		return 0, &WaitError{Msg: fmt.Sprintf("waiting for %s %q, which does not exist in namespace %q", kind, name, r.namespace)}
	case err != nil:
		return 0, err
	case obj.GetDeletionTimestamp() != nil:
		return 0, &WaitError{Msg: fmt.Sprintf("waiting for %s %q, which is being deleted", kind, name)}
	}
	st := obj.CommonStatus()
	if !st.IsReady() || st.ApplianceID == 0 {
		return 0, &WaitError{Msg: fmt.Sprintf("waiting for %s %q to be Ready", kind, name)}
	}
	return st.ApplianceID, nil
}

// OptionalID is ID for an optional reference: 0 when ref is nil.
func (r *Resolver) OptionalID(ctx context.Context, obj Object, ref *v1alpha1.LocalObjectReference) (int64, error) {
	if ref == nil {
		return 0, nil
	}
	return r.ID(ctx, obj, ref.Name)
}

// GroupPolicyID returns the id of the appliance's group policy called name
// (group policies are not custom resources). A missing one is a *WaitError.
func (r *Resolver) GroupPolicyID(ctx context.Context, name string) (int64, error) {
	l, err := r.api.ListGroupPolicies(ctx, &api.ListOptions{Filters: map[string]string{"name": name}, Limit: 2})
	if err != nil {
		return 0, err
	}
	if len(l.Items) == 0 {
		return 0, &WaitError{Msg: fmt.Sprintf("waiting for group policy %q, which does not exist in the appliance", name)}
	}
	return l.Items[0].ID, nil
}

// UserID returns the id of the appliance's user with this username. A
// missing one is a *WaitError.
func (r *Resolver) UserID(ctx context.Context, username string) (int64, error) {
	l, err := r.api.ListUsers(ctx, &api.ListOptions{Filters: map[string]string{"username": username}, Limit: 2})
	if err != nil {
		return 0, err
	}
	if len(l.Items) == 0 {
		return 0, &WaitError{Msg: fmt.Sprintf("waiting for user %q, who does not exist in the appliance", username)}
	}
	return l.Items[0].ID, nil
}

func isWait(err error) (*WaitError, bool) {
	var w *WaitError
	ok := errors.As(err, &w)
	return w, ok
}
