package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SessionPolicySpec is the desired state of a Session Policy (API collection
// session-policies).
type SessionPolicySpec struct {
	// Name shown to users, 1–128 characters.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	DisplayName string `json:"displayName"`

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
	Description string `json:"description,omitempty"`

	// What the representative may do in a session. Every permission
	// defaults to false; left out entirely, all are off, the clipboard is
	// `off` and its limit 8 MiB.
	// +kubebuilder:default={}
	// +optional
	Permissions SessionPermissions `json:"permissions,omitempty"`

	// Ask the customer to consent to a session: `never`, `always`, or
	// `not_present` (prompt when the customer is present). Default `never`.
	// +kubebuilder:validation:Enum=never;always;not_present
	// +kubebuilder:default=never
	// +optional
	PromptCustomer string `json:"promptCustomer,omitempty"`

	// How long the consent prompt waits, in seconds: 10–3600. Default 180.
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=3600
	// +kubebuilder:default=180
	// +optional
	PromptTimeoutSeconds int32 `json:"promptTimeoutSeconds,omitempty"`

	// What an unanswered prompt means when it times out: `accept` or
	// `deny`. Default `deny`.
	// +kubebuilder:validation:Enum=accept;deny
	// +kubebuilder:default=deny
	// +optional
	OnTimeout string `json:"onTimeout,omitempty"`

	// Sessions end after this long, in minutes: 1–10080 (a week). Default
	// 120.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10080
	// +kubebuilder:default=120
	// +optional
	MaxSessionMinutes int32 `json:"maxSessionMinutes,omitempty"`

	// Sessions end after this many minutes without an open stream: 0
	// (never)–1440. Default 0.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1440
	// +kubebuilder:default=0
	// +optional
	IdleTimeoutMinutes int32 `json:"idleTimeoutMinutes,omitempty"`

	// Record shell sessions. Default true.
	// +kubebuilder:default=true
	// +optional
	RecordShell *bool `json:"recordShell,omitempty"`

	// Record the screen. Default true.
	// +kubebuilder:default=true
	// +optional
	RecordScreen *bool `json:"recordScreen,omitempty"`

	// Record tunnel connections (a log of peer, target, bytes and duration).
	// Default true.
	// +kubebuilder:default=true
	// +optional
	RecordTunnel *bool `json:"recordTunnel,omitempty"`
}

// SessionPermissions is what a representative may do in a session.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.fileWrite) && self.fileWrite) || (has(self.fileRead) && self.fileRead)",message="fileWrite needs fileRead"
// +kubebuilder:validation:XValidation:rule="!(has(self.screenControl) && self.screenControl) || (has(self.screenView) && self.screenView)",message="screenControl needs screenView"
type SessionPermissions struct {
	// Allow a shell on the endpoint. Default false.
	// +optional
	Shell bool `json:"shell,omitempty"`

	// Allow listing and downloading files. Default false.
	// +optional
	FileRead bool `json:"fileRead,omitempty"`

	// Allow uploading, changing and deleting files; needs `fileRead`.
	// Default false.
	// +optional
	FileWrite bool `json:"fileWrite,omitempty"`

	// Allow TCP tunnels to the endpoint's network. Default false.
	// +optional
	Tunnel bool `json:"tunnel,omitempty"`

	// Allow reading the endpoint's system information. Default false.
	// +optional
	SystemInfo bool `json:"systemInfo,omitempty"`

	// Allow viewing the screen. Default false.
	// +optional
	ScreenView bool `json:"screenView,omitempty"`

	// Allow controlling the screen (mouse and keyboard); needs
	// `screenView`. Default false.
	// +optional
	ScreenControl bool `json:"screenControl,omitempty"`

	// Clipboard sharing: `off`, `to_endpoint`, `from_endpoint` or `both`.
	// Default `off`.
	// +kubebuilder:validation:Enum=off;to_endpoint;from_endpoint;both
	// +kubebuilder:default=off
	// +optional
	Clipboard string `json:"clipboard,omitempty"`

	// Largest clipboard transfer in bytes: 1–8388608 (8 MiB). Default
	// 8388608.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=8388608
	// +kubebuilder:default=8388608
	// +optional
	ClipboardMaxBytes int32 `json:"clipboardMaxBytes,omitempty"`
}

// SessionPolicyStatus is the observed state of a SessionPolicy.
type SessionPolicyStatus struct {
	Status `json:",inline"`
}

// SessionPolicy is a Session Policy: what a session may do (permissions,
// clipboard), whether the customer is asked to consent, timeouts, the
// longest session and what is recorded.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=spol,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Appliance ID",type=integer,JSONPath=`.status.applianceID`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.spec.codeName) || size(self.metadata.name) <= 64",message="metadata.name is longer than 64 characters, so it cannot be the code name: set spec.codeName",fieldPath=".spec.codeName"
type SessionPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec SessionPolicySpec `json:"spec"`
	// +optional
	Status SessionPolicyStatus `json:"status,omitempty"`
}

// SessionPolicyList is a list of SessionPolicies.
//
// +kubebuilder:object:root=true
type SessionPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SessionPolicy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&SessionPolicy{}, &SessionPolicyList{})
}
