package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JumpClientInstallerSpec is the desired state of a Jump Client installer
// (API collection jump-client-installers). Every setting is updated in
// place, so installers already handed out keep working; the key is
// re-issued only when `rotation` changes.
//
// +kubebuilder:validation:XValidation:rule="(has(self.jumpGroupType) && self.jumpGroupType == 'personal') || has(self.jumpGroupRef)",message="jumpGroupRef is required unless jumpGroupType is personal"
// +kubebuilder:validation:XValidation:rule="!(has(self.jumpGroupType) && self.jumpGroupType == 'personal') || (has(self.personalUsername) && !has(self.jumpGroupRef))",message="jumpGroupType personal needs personalUsername and no jumpGroupRef"
// +kubebuilder:validation:XValidation:rule="(has(self.jumpGroupType) && self.jumpGroupType == 'personal') || !has(self.personalUsername)",message="personalUsername needs jumpGroupType personal"
type JumpClientInstallerSpec struct {
	// How long the installer stays valid, in minutes: 10 (10 minutes) to
	// 525600 (1 year); default 1440 (1 day). Setting a new value starts a
	// new validity window from now (so it extends an expired installer, with
	// the same installer id) and changes `status.expiresAt` and the key info.
	// The validity does not limit how long installed Jump Clients stay.
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=525600
	// +kubebuilder:default=1440
	// +optional
	ValidDuration int32 `json:"validDuration,omitempty"`

	// The Jump Group the Jump Clients join: the name of a JumpGroup in the
	// same namespace. Required unless `jumpGroupType` is `personal`. Changed
	// in place: later installations join the new owner, installed clients
	// stay where they are.
	// +optional
	JumpGroupRef *LocalObjectReference `json:"jumpGroupRef,omitempty"`

	// `shared` (default): `jumpGroupRef` names a Jump Group shared by its
	// members; `personal`: the Jump Clients go to the personal list of the
	// user `personalUsername`.
	// +kubebuilder:validation:Enum=shared;personal
	// +kubebuilder:default=shared
	// +optional
	JumpGroupType string `json:"jumpGroupType,omitempty"`

	// With `jumpGroupType: personal`, the username of the user whose
	// personal list holds the Jump Clients (the API's `jump_group_id` is
	// then that user's id, which the controller resolves).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`
	// +optional
	PersonalUsername string `json:"personalUsername,omitempty"`

	// The public portal the Jump Clients connect through (a PublicPortal in
	// the same namespace); its session policy applies to their sessions when
	// they have none. Unset: the default portal.
	// +optional
	PublicPortalRef *LocalObjectReference `json:"publicPortalRef,omitempty"`

	// The name of the Jump Clients, at most 128 characters. Empty (the
	// default): the endpoint's host name.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Name string `json:"name,omitempty"`

	// Comments given to the Jump Clients, at most 1024 characters; they help
	// search for and identify endpoints.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comments string `json:"comments,omitempty"`

	// A tag that groups the Jump Clients in the console, at most 64
	// characters.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Tag string `json:"tag,omitempty"`

	// The Jump Policy of the Jump Clients (when users may jump to them): a
	// JumpPolicy in the same namespace. Unset: at any time.
	// +optional
	JumpPolicyRef *LocalObjectReference `json:"jumpPolicyRef,omitempty"`

	// The session policy of sessions when the customer is present at the
	// endpoint ("Customer Present Session Policy"): a SessionPolicy in the
	// same namespace.
	// +optional
	AttendedSessionPolicyRef *LocalObjectReference `json:"attendedSessionPolicyRef,omitempty"`

	// The session policy of sessions when the customer is not present
	// ("Customer Not Present Session Policy"): a SessionPolicy in the same
	// namespace.
	// +optional
	UnattendedSessionPolicyRef *LocalObjectReference `json:"unattendedSessionPolicyRef,omitempty"`

	// `active` (holds a connection; can start unattended sessions) or
	// `standby` (checks in; for Support Button use). Left out, the appliance
	// uses `defaultConnectionType` of the Jump Client settings when the
	// installer is created, and keeps that value.
	// +kubebuilder:validation:Enum=active;standby
	// +optional
	ConnectionType string `json:"connectionType,omitempty"`

	// A Jumpoint with an enabled Jump Zone Proxy that Jump Clients try when
	// they cannot reach the appliance directly: a Jumpoint in the same
	// namespace.
	// +optional
	JumpointProxyRef *LocalObjectReference `json:"jumpointProxyRef,omitempty"`

	// A Jump Client offline longer than this many minutes is treated as
	// uninstalled and uninstalls itself: 0 (the default) uses only the
	// global settings; otherwise 5 ("ephemeral") to 525600.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=525600
	// +kubebuilder:validation:XValidation:rule="self == 0 || self >= 5",message="maxOfflineMinutes must be 0 (the global settings) or 5–525600"
	// +kubebuilder:default=0
	// +optional
	MaxOfflineMinutes int32 `json:"maxOfflineMinutes,omitempty"`

	// How the customer client starts in a session: `normal` (default),
	// `minimized` (in the taskbar or dock) or `hidden` (only a tray icon).
	// +kubebuilder:validation:Enum=normal;minimized;hidden
	// +kubebuilder:default=normal
	// +optional
	CustomerClientStartMode string `json:"customerClientStartMode,omitempty"`

	// The code name of a Support Button profile for the Jump Clients; empty
	// for none.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^$|^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`
	// +optional
	SupportButtonProfile string `json:"supportButtonProfile,omitempty"`

	// The queue that Support Button sessions go to, as `team:<code-name>`
	// (at most 70 characters); empty for none. The Support Button profile
	// must allow direct access to a queue.
	// +kubebuilder:validation:MaxLength=70
	// +kubebuilder:validation:Pattern=`^$|^team:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`
	// +optional
	SupportButtonDirectQueue string `json:"supportButtonDirectQueue,omitempty"`

	// Attempt an elevated install (a system service) where the platform
	// supports it; default true. Otherwise, or if elevation fails, the Jump
	// Client is installed in user mode.
	// +kubebuilder:default=true
	// +optional
	ElevateInstall *bool `json:"elevateInstall,omitempty"`

	// Prompt for administrative credentials when an elevated install needs
	// them; default false.
	// +optional
	ElevatePrompt bool `json:"elevatePrompt,omitempty"`

	// Lets an installation override `name` with `--jc-name` (Linux, macOS)
	// or `JC_NAME` (Windows). An override that is not allowed fails the
	// installation. Default false; changing it re-signs the key info.
	// +optional
	AllowOverrideName bool `json:"allowOverrideName,omitempty"`

	// Lets an installation override the Jump Group (`jumpgroup:<code-name>`
	// or `user:<username>`) with `--jc-jump-group` (Linux, macOS) or
	// `JC_JUMP_GROUP` (Windows). Default false; changing it re-signs the key
	// info.
	// +optional
	AllowOverrideJumpGroup bool `json:"allowOverrideJumpGroup,omitempty"`

	// Lets an installation override the public portal (by its host name)
	// with `--jc-public-site-address` (Linux, macOS) or
	// `JC_PUBLIC_SITE_ADDRESS` (Windows). Default false; changing it
	// re-signs the key info.
	// +optional
	AllowOverridePublicPortal bool `json:"allowOverridePublicPortal,omitempty"`

	// Lets an installation override the customer-present session policy
	// (by code name) with `--jc-session-policy-present` (Linux, macOS) or
	// `JC_SESSION_POLICY_PRESENT` (Windows). Default false; changing it
	// re-signs the key info.
	// +optional
	AllowOverrideAttendedSessionPolicy bool `json:"allowOverrideAttendedSessionPolicy,omitempty"`

	// Lets an installation override the customer-not-present session policy
	// (by code name) with `--jc-session-policy-not-present` (Linux, macOS)
	// or `JC_SESSION_POLICY_NOT_PRESENT` (Windows). Default false; changing
	// it re-signs the key info.
	// +optional
	AllowOverrideUnattendedSessionPolicy bool `json:"allowOverrideUnattendedSessionPolicy,omitempty"`

	// Lets an installation override `supportButtonProfile` with
	// `--jc-support-button-profile` (Linux, macOS) or
	// `JC_SUPPORT_BUTTON_PROFILE` (Windows). Default false; changing it
	// re-signs the key info.
	// +optional
	AllowOverrideSupportButtonProfile bool `json:"allowOverrideSupportButtonProfile,omitempty"`

	// Lets an installation override `supportButtonDirectQueue` with
	// `--jc-support-button-direct-queue` (Linux, macOS) or
	// `JC_SUPPORT_BUTTON_DIRECT_QUEUE` (Windows). Default false; changing it
	// re-signs the key info.
	// +optional
	AllowOverrideSupportButtonDirectQueue bool `json:"allowOverrideSupportButtonDirectQueue,omitempty"`

	// Lets an installation override the Jump Policy (by code name) with
	// `--jc-jump-policy` (Linux, macOS) or `JC_JUMP_POLICY` (Windows).
	// Default false; changing it re-signs the key info.
	// +optional
	AllowOverrideJumpPolicy bool `json:"allowOverrideJumpPolicy,omitempty"`

	// Lets an installation override `tag` with `--jc-tag` (Linux, macOS) or
	// `JC_TAG` (Windows). Default false; changing it re-signs the key info.
	// +optional
	AllowOverrideTag bool `json:"allowOverrideTag,omitempty"`

	// Lets an installation override `comments` with `--jc-comments` (Linux,
	// macOS) or `JC_COMMENTS` (Windows). Default false; changing it re-signs
	// the key info.
	// +optional
	AllowOverrideComments bool `json:"allowOverrideComments,omitempty"`

	// Lets an installation override `maxOfflineMinutes` with
	// `--jc-max-offline-minutes` / `--jc-ephemeral` (Linux, macOS) or
	// `JC_MAX_OFFLINE_MINUTES` / `JC_EPHEMERAL=1` (Windows). Default false;
	// changing it re-signs the key info.
	// +optional
	AllowOverrideMaxOfflineMinutes bool `json:"allowOverrideMaxOfflineMinutes,omitempty"`

	// A keeper: any change of this value (for example a date, or a counter
	// you increase) re-issues the installer's key in place — a new
	// installer id, key info, validity window from now and download URLs.
	// Key info and installer files handed out before then stop working;
	// Jump Clients already installed are not affected. No other change
	// re-issues the key. At most 256 characters.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Rotation string `json:"rotation,omitempty"`

	// The Secret, in the same namespace, that the operator owns and writes
	// the key info and the per-platform download commands to. Default
	// `<metadata.name>-installer`. The operator creates it with an owner
	// reference to this resource (so it is deleted with it) and restores it
	// when it is edited or deleted by hand. A Secret of that name that the
	// operator did not create for this resource is left untouched, and the
	// resource reports Ready=False with reason NotOwned. Changing the name
	// deletes the Secret of the old name. The keys: `key-info` (the signed
	// key info of generic installers, `--key-info` / `KEY_INFO=`),
	// `installer-id`, `expires-at` (RFC 3339) and, for each platform
	// (`linux-amd64`, `linux-arm64`, `raspberry-pi`, `macos-amd64`,
	// `macos-arm64`, `windows-amd64`), `download-url-<platform>`,
	// `download-command-<platform>` (a curl command that reads the CA from
	// `$JUMPGATE_CA_CERT` and an administrator's token from
	// `$JUMPGATE_TOKEN`) and `install-command-<platform>`.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +optional
	SecretName string `json:"secretName,omitempty"`
}

// JumpClientInstallerStatus is the observed state of a JumpClientInstaller.
type JumpClientInstallerStatus struct {
	Status `json:",inline"`

	// The random installer id built into the installer file names and the
	// key info; it changes when the key is re-issued (`spec.rotation`).
	// +optional
	InstallerID string `json:"installerID,omitempty"`

	// When the installer stops working: the start of the current validity
	// window plus `validDuration`.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// Whether `expiresAt` had passed at the last reconcile. An expired
	// installer is renewed by a new `validDuration` or a `rotation` change.
	// +optional
	Expired bool `json:"expired,omitempty"`

	// The Secret that holds the key info and the download commands.
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// The `spec.rotation` that the current key was issued for. The operator
	// re-issues the key (POST …/rotate-key) when `spec.rotation` differs
	// from it, and records the new value; at creation it records
	// `spec.rotation` without re-issuing. Empty while `installerID` is
	// empty, and when the key was issued for an empty `spec.rotation`.
	// +optional
	Rotation string `json:"rotation,omitempty"`
}

// JumpClientInstaller is a Jump Client installer (the Mass Deployment
// Wizard): the settings new Jump Clients get, which of them an installation
// may override, and how long the installer stays valid. Its key info and
// download commands go to a Secret. Deleting the installer does not remove
// the Jump Clients installed from it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=jci,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Appliance ID",type=integer,JSONPath=`.status.applianceID`
// +kubebuilder:printcolumn:name="Expires",type=date,JSONPath=`.status.expiresAt`,priority=1
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.secretName`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type JumpClientInstaller struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec JumpClientInstallerSpec `json:"spec"`
	// +optional
	Status JumpClientInstallerStatus `json:"status,omitempty"`
}

// JumpClientInstallerList is a list of JumpClientInstallers.
//
// +kubebuilder:object:root=true
type JumpClientInstallerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []JumpClientInstaller `json:"items"`
}

func init() {
	SchemeBuilder.Register(&JumpClientInstaller{}, &JumpClientInstallerList{})
}
