package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JumpClientSettingsName is the only allowed metadata.name of a
// JumpClientSettings.
const JumpClientSettingsName = "default"

// JumpClientSettingsSpec is the desired state of the appliance's Jump Client
// settings (API singleton settings/jump-clients). Every setting is optional
// and defaults to the setting of a new appliance.
//
// +kubebuilder:validation:XValidation:rule="!has(self.lostAfterDays) || !has(self.deletedAfterDays) || self.lostAfterDays < self.deletedAfterDays",message="lostAfterDays must be less than deletedAfterDays"
type JumpClientSettingsSpec struct {
	// Statistics active Jump Clients report: any of `cpu`, `console_user`,
	// `disk`, `screen` and `uptime`. Default `["console_user", "cpu",
	// "disk", "uptime"]` (the setting of a new appliance) when left out or
	// null; `[]` for none.
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:Enum=cpu;console_user;disk;screen;uptime
	// +kubebuilder:default={"console_user","cpu","disk","uptime"}
	// +listType=set
	// +optional
	Statistics []string `json:"statistics"` // not omitempty: [] (none) must survive every write, nil (null) is the default

	// How often active Jump Clients report statistics, 15–86400 seconds.
	// Default 60.
	// +kubebuilder:validation:Minimum=15
	// +kubebuilder:validation:Maximum=86400
	// +kubebuilder:default=60
	// +optional
	StatisticsIntervalSeconds int32 `json:"statisticsIntervalSeconds,omitempty"`

	// Whether Jump Clients upgrade to the appliance's agent build:
	// `disabled`, `this_version` (upgrade to the version the appliance runs
	// now, not after the appliance's next upgrade) or `always`. Default
	// `always`.
	// +kubebuilder:validation:Enum=disabled;this_version;always
	// +kubebuilder:default=always
	// +optional
	UpgradeMode string `json:"upgradeMode,omitempty"`

	// Days offline after which a Jump Client is marked lost, 15–3650 and
	// less than `deletedAfterDays`. Default 90.
	// +kubebuilder:validation:Minimum=15
	// +kubebuilder:validation:Maximum=3650
	// +kubebuilder:default=90
	// +optional
	LostAfterDays int32 `json:"lostAfterDays,omitempty"`

	// Days offline after which a Jump Client is deleted, 15–3650 and more
	// than `lostAfterDays`. Default 180.
	// +kubebuilder:validation:Minimum=15
	// +kubebuilder:validation:Maximum=3650
	// +kubebuilder:default=180
	// +optional
	DeletedAfterDays int32 `json:"deletedAfterDays,omitempty"`

	// What happens to a Jump Client uninstalled at the endpoint: `keep`
	// (marked uninstalled) or `remove`. Default `keep`.
	// +kubebuilder:validation:Enum=keep;remove
	// +kubebuilder:default=keep
	// +optional
	UninstalledBehavior string `json:"uninstalledBehavior,omitempty"`

	// Refuse uninstalling or disabling a Jump Client locally at the
	// endpoint. Default false.
	// +optional
	RestrictLocalUninstall bool `json:"restrictLocalUninstall,omitempty"`

	// Connection type of installers that do not set one: `active` (always
	// connected) or `standby` (checks in). Default `active`.
	// +kubebuilder:validation:Enum=active;standby
	// +kubebuilder:default=active
	// +optional
	DefaultConnectionType string `json:"defaultConnectionType,omitempty"`

	// How often standby Jump Clients check in, 1–1440 minutes. Default 60.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1440
	// +kubebuilder:default=60
	// +optional
	StandbyCheckInMinutes int32 `json:"standbyCheckInMinutes,omitempty"`

	// Let users wake Jump Clients' endpoints through a peer on the same
	// network (the API's `wake_on_lan_allowed`). Default false.
	// +optional
	WakeOnLANAllowed bool `json:"wakeOnLANAllowed,omitempty"`

	// Count the end user present only while the screen is unlocked and no
	// screen saver runs. Default false.
	// +optional
	PresenceUsesScreenState bool `json:"presenceUsesScreenState,omitempty"`

	// Let ad-hoc sessions start from an installed Jump Client. Default
	// false.
	// +optional
	AdhocSessionsFromJumpClients bool `json:"adhocSessionsFromJumpClients,omitempty"`

	// For Jump Clients without a Jump Policy, what a second user's request
	// does while a session is active: `allow` (a separate session), `join`
	// (join the active one) or `disallow`. Default `join`.
	// +kubebuilder:validation:Enum=allow;join;disallow
	// +kubebuilder:default=join
	// +optional
	SimultaneousJumps string `json:"simultaneousJumps,omitempty"`

	// Allow unattended (unprompted) sessions on Jump Clients; when false,
	// every Jump Client session needs the end user's consent. Default true.
	// +kubebuilder:default=true
	// +optional
	UnattendedSessionsAllowed *bool `json:"unattendedSessionsAllowed,omitempty"`
}

// JumpClientSettingsStatus is the observed state of the JumpClientSettings.
// Its applianceID is always 0: the settings are a singleton.
type JumpClientSettingsStatus struct {
	Status `json:",inline"`
}

// JumpClientSettings are the site-wide Jump Client settings of the
// appliance, a singleton: the only allowed object is named `default`, and
// there should be one per appliance (in one namespace). Deleting it puts
// every setting back to the default of a new appliance.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=jcs,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Appliance ID",type=integer,JSONPath=`.status.applianceID`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name == 'default'",message="JumpClientSettings is a singleton: metadata.name must be 'default'"
type JumpClientSettings struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +kubebuilder:default={}
	// +optional
	Spec JumpClientSettingsSpec `json:"spec,omitempty"`
	// +optional
	Status JumpClientSettingsStatus `json:"status,omitempty"`
}

// JumpClientSettingsList is a list of JumpClientSettings.
//
// +kubebuilder:object:root=true
type JumpClientSettingsList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []JumpClientSettings `json:"items"`
}

func init() {
	SchemeBuilder.Register(&JumpClientSettings{}, &JumpClientSettingsList{})
}
