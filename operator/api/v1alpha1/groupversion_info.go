// Package v1alpha1 holds the Kubernetes API of the Jumpgate operator: the
// custom resources of group jumpgate.dev, version v1alpha1, one per
// configuration object of the appliance (JumpGroup, JumpPolicy,
// SessionPolicy, Jumpoint, JumpClientInstaller, ProtocolTunnelJump,
// PublicPortal) and the JumpClientSettings and ConsoleSettings singletons.
//
// The fields mean what the appliance API's fields of the same name mean
// (camelCase of the API's snake_case JSON names) and have the same limits,
// as the Terraform provider's attributes do. References to other objects
// are by name, in the same namespace (jumpGroupRef, jumpPolicyRef, …).
//
// The CRD YAML in crds/ and zz_generated.deepcopy.go are generated from
// these types by controller-gen (make generate).
//
// +kubebuilder:object:generate=true
// +groupName=jumpgate.dev
package v1alpha1

//go:generate bash ../../../hack/controller-gen.sh

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every kind of this package.
	GroupVersion = schema.GroupVersion{Group: "jumpgate.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a scheme.
	// controller-runtime deprecates scheme.Builder for api packages that
	// others import; this one is the operator's own (kubebuilder's layout).
	//lint:ignore SA1019 the operator's own api package, as kubebuilder scaffolds it
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
