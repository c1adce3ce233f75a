package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JumpGroupSpec is the desired state of a Jump Group (API collection
// jump-groups).
type JumpGroupSpec struct {
	// Display name, 1–128 characters.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`

	// Unique machine name: 1–64 letters, digits, `_`, `-` and `.`, starting
	// with a letter or digit. Optional: it defaults to metadata.name (the
	// controller applies it), so metadata.name must then be at most 64
	// characters.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`
	// +optional
	CodeName string `json:"codeName,omitempty"`

	// Free text, at most 1024 characters. Default "".
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comments string `json:"comments,omitempty"`

	// The group policies whose members reach this group's items, with their
	// role; each group policy at most once, at most 1000. Left out, the
	// memberships are not managed (the appliance's are kept); `[]` removes
	// them all.
	// +kubebuilder:validation:MaxItems=1000
	// +listType=map
	// +listMapKey=groupPolicyName
	// +optional
	Memberships []JumpGroupMembership `json:"memberships,omitempty"`
}

// JumpGroupMembership gives the members of a group policy a role on a Jump
// Group's items.
type JumpGroupMembership struct {
	// Name of the group policy (`name` in the API's group-policies, unique
	// there, 1–128 characters). Group policies are not a custom resource:
	// the controller resolves the name to the appliance's id.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	GroupPolicyName string `json:"groupPolicyName"`

	// What members may do with the items: `view`, `start` (sessions) or
	// `edit`.
	// +kubebuilder:validation:Enum=view;start;edit
	// +required
	Role string `json:"role"`

	// Optional Jump Policy applied to jumps made through this membership,
	// overriding the item's own: the name of a JumpPolicy in the same
	// namespace.
	// +optional
	JumpPolicyRef *LocalObjectReference `json:"jumpPolicyRef,omitempty"`
}

// JumpGroupStatus is the observed state of a JumpGroup.
type JumpGroupStatus struct {
	Status `json:",inline"`
}

// JumpGroup is a Jump Group: a set of Jump Items (Jump Clients, Protocol
// Tunnel Jumps) shared by its members.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=jg,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Appliance ID",type=integer,JSONPath=`.status.applianceID`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.spec.codeName) || size(self.metadata.name) <= 64",message="metadata.name is longer than 64 characters, so it cannot be the code name: set spec.codeName",fieldPath=".spec.codeName"
type JumpGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec JumpGroupSpec `json:"spec"`
	// +optional
	Status JumpGroupStatus `json:"status,omitempty"`
}

// JumpGroupList is a list of JumpGroups.
//
// +kubebuilder:object:root=true
type JumpGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []JumpGroup `json:"items"`
}

func init() {
	SchemeBuilder.Register(&JumpGroup{}, &JumpGroupList{})
}
