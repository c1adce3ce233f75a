package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProtocolTunnelJumpSpec is the desired state of a Protocol Tunnel Jump (API
// collection protocol-tunnel-jumps).
//
// +kubebuilder:validation:XValidation:rule="(has(self.jumpGroupType) && self.jumpGroupType == 'personal') || has(self.jumpGroupRef)",message="jumpGroupRef is required unless jumpGroupType is personal"
// +kubebuilder:validation:XValidation:rule="!(has(self.jumpGroupType) && self.jumpGroupType == 'personal') || (has(self.personalUsername) && !has(self.jumpGroupRef))",message="jumpGroupType personal needs personalUsername and no jumpGroupRef"
// +kubebuilder:validation:XValidation:rule="(has(self.jumpGroupType) && self.jumpGroupType == 'personal') || !has(self.personalUsername)",message="personalUsername needs jumpGroupType personal"
type ProtocolTunnelJumpSpec struct {
	// Display name, 1–128 characters. Not unique.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`

	// The Jumpoint in the target's network: a Jumpoint in the same
	// namespace; it must have `protocolTunnelEnabled: true`.
	// +required
	JumpointRef LocalObjectReference `json:"jumpointRef"`

	// DNS name or IP address of the target host, as the jumpoint resolves
	// it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="isIP(self) || self.matches('^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)([.][A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*[.]?$')",message="must be a DNS host name or an IP address"
	// +required
	Hostname string `json:"hostname"`

	// The port pairs tunnelled, 1–100 of them, in order. Local ports other
	// than 0 must be unique.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.all(a, !has(a.localPort) || a.localPort == 0 || self.exists_one(b, has(b.localPort) && b.localPort == a.localPort))",message="localPort values other than 0 must be unique"
	// +listType=atomic
	// +required
	TunnelDefinitions []TunnelDefinition `json:"tunnelDefinitions"`

	// IPv4 address in 127.0.0.0/8 the user's local listeners bind, in
	// canonical form. Default `127.0.0.1`.
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:XValidation:rule="isIP(self) && ip.isCanonical(self) && ip(self).family() == 4 && cidr('127.0.0.0/8').containsIP(ip(self))",message="tunnelListenAddress must be an IPv4 address in 127.0.0.0/8, in canonical form (tunnel listeners bind only loopback addresses)"
	// +kubebuilder:default="127.0.0.1"
	// +optional
	TunnelListenAddress string `json:"tunnelListenAddress,omitempty"`

	// Owner of the item: a JumpGroup in the same namespace. Required unless
	// `jumpGroupType` is `personal`.
	// +optional
	JumpGroupRef *LocalObjectReference `json:"jumpGroupRef,omitempty"`

	// `shared` (`jumpGroupRef` names a Jump Group) or `personal` (the item is
	// on the personal list of the user `personalUsername`). Default
	// `shared`.
	// +kubebuilder:validation:Enum=shared;personal
	// +kubebuilder:default=shared
	// +optional
	JumpGroupType string `json:"jumpGroupType,omitempty"`

	// With `jumpGroupType: personal`, the username of the user whose
	// personal list holds the item (the API's `jump_group_id` is then that
	// user's id, which the controller resolves).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`
	// +optional
	PersonalUsername string `json:"personalUsername,omitempty"`

	// Groups items in the console, at most 64 characters. Default "".
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Tag string `json:"tag,omitempty"`

	// Free text, at most 1024 characters.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comments string `json:"comments,omitempty"`

	// The item's Jump Policy: a JumpPolicy in the same namespace, or unset
	// for none.
	// +optional
	JumpPolicyRef *LocalObjectReference `json:"jumpPolicyRef,omitempty"`

	// The item's Session Policy: a SessionPolicy in the same namespace, or
	// unset to use the default portal's.
	// +optional
	SessionPolicyRef *LocalObjectReference `json:"sessionPolicyRef,omitempty"`
}

// TunnelDefinition is one tunnelled port pair.
type TunnelDefinition struct {
	// Port the user's local listener binds, 0–65535; 0 (the default) picks
	// a free port when the session starts.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=0
	// +optional
	LocalPort int32 `json:"localPort,omitempty"`

	// Port on the target host, 1–65535.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +required
	RemotePort int32 `json:"remotePort"`
}

// ProtocolTunnelJumpStatus is the observed state of a ProtocolTunnelJump.
type ProtocolTunnelJumpStatus struct {
	Status `json:",inline"`
}

// ProtocolTunnelJump is a Jump Item that tunnels TCP ports from the user's
// machine through a Jumpoint to one host in the Jumpoint's network.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=ptj,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Appliance ID",type=integer,JSONPath=`.status.applianceID`
// +kubebuilder:printcolumn:name="Host",type=string,JSONPath=`.spec.hostname`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ProtocolTunnelJump struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ProtocolTunnelJumpSpec `json:"spec"`
	// +optional
	Status ProtocolTunnelJumpStatus `json:"status,omitempty"`
}

// ProtocolTunnelJumpList is a list of ProtocolTunnelJumps.
//
// +kubebuilder:object:root=true
type ProtocolTunnelJumpList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProtocolTunnelJump `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ProtocolTunnelJump{}, &ProtocolTunnelJumpList{})
}
