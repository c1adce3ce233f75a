package controller

import (
	"context"
	"errors"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// Actions: what the operator did to a resource's appliance object or to
// what the resource owns. Each is the reason of the Normal Event that
// reports it and the message of the log line (at V(1)) that records it.
const (
	ActionCreated        = "Created"
	ActionUpdated        = "Updated"
	ActionDriftCorrected = v1alpha1.ReasonDriftCorrected
	ActionAdopted        = "Adopted"
	// ActionDeleted is a deleted appliance object, or the defaults restored
	// in a singleton.
	ActionDeleted = "Deleted"
	// The JumpClientInstaller's key and Secret.
	ActionKeyRotated    = "KeyRotated"
	ActionSecretCreated = "SecretCreated"
	ActionSecretUpdated = "SecretUpdated"
	ActionSecretDeleted = "SecretDeleted"
	// The in-cluster Jumpoint's objects and nodes.
	ActionKeyInfoIssued     = "KeyInfoIssued"
	ActionDeploymentCreated = "DeploymentCreated"
	ActionDeploymentUpdated = "DeploymentUpdated"
	ActionDeploymentDeleted = "DeploymentDeleted"
	ActionEnrollmentDeleted = "EnrollmentSecretDeleted"
	ActionNodeRemoved       = "NodeRemoved"
)

// MsgApplianceError is the message of the error-level log line of an
// appliance error.
const MsgApplianceError = "appliance error"

// logApplianceError logs err, an appliance error of resource o of kind, at
// error level with the kind, the appliance id (0 before the object exists),
// what was being done (op: "sync" or "delete") and, when the appliance
// answered, its problem's status, title, detail and field errors. The
// logger from ctx already names the controller, namespace/name and
// reconcileID.
func logApplianceError(ctx context.Context, err error, kind, op string, id int64) {
	kv := []any{"kind", kind, "applianceID", id, "op", op}
	var p *api.Problem
	if errors.As(err, &p) {
		kv = append(kv, "status", p.Status, "title", p.Title)
		if p.Detail != "" {
			kv = append(kv, "detail", p.Detail)
		}
		if len(p.Errors) > 0 {
			fields := make([]string, 0, len(p.Errors))
			for _, fe := range p.Errors {
				fields = append(fields, fe.Field+": "+fe.Detail)
			}
			kv = append(kv, "fieldErrors", fields)
		}
	}
	ctrl.LoggerFrom(ctx).Error(err, MsgApplianceError, kv...)
}

// logAction logs an action at V(1). Notes are the Events' notes, which
// never hold tokens, key info or passwords.
func logAction(log logr.Logger, action, kind string, id int64, note string, kv ...any) {
	log.V(1).Info(action, append([]any{"kind", kind, "applianceID", id, "note", note}, kv...)...)
}
