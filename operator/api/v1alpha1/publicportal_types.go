package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PublicPortalSpec is the desired state of a public portal (API collection
// public-portals). A portal has no code name: its unique key in the
// appliance is `hostname`.
type PublicPortalSpec struct {
	// The site's DNS name or IP address, unique across portals. Write it in
	// lower case and without a trailing dot, as the appliance stores it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="isIP(self) || self.matches('^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$')",message="must be a DNS host name or an IP address, in lower case and without a trailing dot"
	// +required
	Hostname string `json:"hostname"`

	// Name shown to users, 1–128 characters.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	DisplayName string `json:"displayName"`

	// Whether this is the default portal. At most one portal may be: setting
	// it while another portal is the default fails, so to move the default,
	// unset it on the old portal first. Default false.
	// +optional
	Default bool `json:"default,omitempty"`

	// The Session Policy (a SessionPolicy in the same namespace) of sessions
	// on Jump Clients that name this portal and have no policy of their own;
	// the default portal's also serves Jump Clients that name no portal,
	// Protocol Tunnel Jumps and access codes. Unset for none.
	// +optional
	SessionPolicyRef *LocalObjectReference `json:"sessionPolicyRef,omitempty"`

	// How consent prompts are answered on headless Jump Clients: `accept` or
	// `reject`. Default `reject`.
	// +kubebuilder:validation:Enum=accept;reject
	// +kubebuilder:default=reject
	// +optional
	AutomaticBehavior string `json:"automaticBehavior,omitempty"`
}

// PublicPortalStatus is the observed state of a PublicPortal.
type PublicPortalStatus struct {
	Status `json:",inline"`
}

// PublicPortal is a public site through which customers and Jump Clients
// connect. At most one portal is the default; it serves Jump Clients that
// name no portal, Protocol Tunnel Jumps and access codes.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=pp,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Appliance ID",type=integer,JSONPath=`.status.applianceID`
// +kubebuilder:printcolumn:name="Hostname",type=string,JSONPath=`.spec.hostname`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PublicPortal struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec PublicPortalSpec `json:"spec"`
	// +optional
	Status PublicPortalStatus `json:"status,omitempty"`
}

// PublicPortalList is a list of PublicPortals.
//
// +kubebuilder:object:root=true
type PublicPortalList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PublicPortal `json:"items"`
}

func init() {
	SchemeBuilder.Register(&PublicPortal{}, &PublicPortalList{})
}
