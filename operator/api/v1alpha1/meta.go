package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Finalizer is put on every object of this package by its controller before
// it creates the appliance object. Deleting the custom resource then first
// deletes the appliance object (a 404 counts as deleted), then drops the
// finalizer.
const Finalizer = "jumpgate.dev/finalizer"

// AdoptAnnotation, set to "true" on a custom resource, lets the operator take
// over an appliance object with the same unique key (code name, or host name
// for a PublicPortal) that it did not create. Without it such an object is
// left alone and the resource reports Ready=False with reason NotOwned.
const AdoptAnnotation = "jumpgate.dev/adopt"

// Labels the operator puts on what it creates. On appliance objects
// (labels of the API) ManagedByLabel=ManagedByValue and
// OwnerLabel=OwnerValue(namespace, name) mark the object as created by the
// custom resource namespace/name, and ClusterLabel names the cluster when the
// operator runs with --cluster-name. An appliance object with the same unique
// key but without these labels (or with another owner) is never taken over
// unless the resource carries AdoptAnnotation. Kubernetes objects the
// operator creates (the installer Secret, the Jumpoint Deployment and its
// enrollment Secret) carry ManagedByLabel and an owner reference to their
// custom resource, so they are garbage-collected with it.
const (
	ManagedByLabel = "jumpgate.dev/managed-by"
	ManagedByValue = "jumpgate-operator"
	OwnerLabel     = "jumpgate.dev/owner"
	ClusterLabel   = "jumpgate.dev/cluster"
)

// OwnerValue is the OwnerLabel value for the custom resource namespace/name:
// "<namespace>.<name>" (namespaces have no dots, so it reads back
// unambiguously), or, when that is not a valid label value of at most 63
// characters, its first 52 characters, "-" and 10 hex digits of its SHA-256.
func OwnerValue(namespace, name string) string {
	v := namespace + "." + name
	if len(v) <= 63 {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	head := strings.TrimRight(v[:52], "-_.")
	return head + "-" + hex.EncodeToString(sum[:])[:10]
}

// Condition types of every kind.
const (
	// ConditionReady is True when the appliance object exists and matches
	// the spec of the current generation (and, for a Jumpoint with a
	// deployment, its Deployment is available).
	ConditionReady = "Ready"
	// ConditionSynced is True when the last reconcile wrote the spec to the
	// appliance (or found it already equal) without an error.
	ConditionSynced = "Synced"
)

// Condition reasons (PascalCase). Messages are for humans; reasons are for
// tools.
const (
	// ReasonReconciled: the appliance object matches the spec.
	ReasonReconciled = "Reconciled"
	// ReasonDriftCorrected: the appliance object had been changed outside
	// Kubernetes, and the operator wrote the spec back.
	ReasonDriftCorrected = "DriftCorrected"
	// ReasonApplianceError: the appliance refused the object or could not be
	// reached; the message holds the appliance's answer. The operator retries
	// with back-off.
	ReasonApplianceError = "ApplianceError"
	// ReasonWaitingForReference: an object named by a *Ref field is missing
	// or not yet Ready; the message names it. The object proceeds once the
	// reference is Ready.
	ReasonWaitingForReference = "WaitingForReference"
	// ReasonNotOwned: the appliance already holds an object with the same
	// unique key that the operator did not create, and the custom resource
	// lacks the AdoptAnnotation.
	ReasonNotOwned = "NotOwned"
	// ReasonDeleting: the custom resource is being deleted and the operator is
	// removing the appliance object.
	ReasonDeleting = "Deleting"
	// ReasonDeploymentProgressing: a Jumpoint's Deployment does not yet have
	// its replicas available or its nodes connected.
	ReasonDeploymentProgressing = "DeploymentProgressing"
	// ReasonExpired: a JumpClientInstaller's validity window has passed;
	// change validDuration or rotation to renew it.
	ReasonExpired = "Expired"
)

// LocalObjectReference names another custom resource of this group in the
// same namespace.
type LocalObjectReference struct {
	// Name of the referenced object (metadata.name), in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`
}

// Status is the part of the status that every kind shares.
type Status struct {
	// ObservedGeneration is the metadata.generation that the conditions
	// describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ApplianceID is the appliance's numeric id of the object (`id` in the
	// API); 0 until the object is created, and always 0 for the
	// singletons JumpClientSettings and ConsoleSettings.
	// +optional
	ApplianceID int64 `json:"applianceID,omitempty"`

	// Conditions: Ready (the appliance object matches the spec) and Synced
	// (the last write to the appliance succeeded), with PascalCase reasons
	// such as Reconciled, ApplianceError, WaitingForReference, NotOwned and
	// Deleting.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Jump group types: who owns a Jump Item.
const (
	// JumpGroupShared: the item belongs to the Jump Group named by jumpGroupRef.
	JumpGroupShared = "shared"
	// JumpGroupPersonal: the item is on the personal list of the user named
	// by personalUsername.
	JumpGroupPersonal = "personal"
)
