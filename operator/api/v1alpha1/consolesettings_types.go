package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConsoleSettingsName is the only allowed metadata.name of a
// ConsoleSettings.
const ConsoleSettingsName = "default"

// Origin is a web origin as a browser sends it in the Origin header:
// `http://` or `https://`, the host in lower case, an optional port other
// than the scheme's default, and nothing else (no path, not even `/`, no
// query, no user info), such as `https://support.example.com`. The CRD
// checks the shape; the appliance also refuses an IPv6 address that is not
// in its shortest form and a host name ending in a number.
//
// +kubebuilder:validation:MaxLength=2048
// +kubebuilder:validation:XValidation:rule="isURL(self) && self == self.lowerAscii() && url(self).getScheme() in ['http', 'https'] && size(url(self).getHostname()) > 0 && size(url(self).getEscapedPath()) == 0 && !self.contains('?') && !self.contains('#') && !self.contains('@') && !self.endsWith(':') && !(url(self).getScheme() == 'https' && url(self).getPort() == '443') && !(url(self).getScheme() == 'http' && url(self).getPort() == '80')",message="must be an origin such as https://support.example.com: http:// or https://, the host in lower case, an optional port other than the default, and no path (not even /), query or user info"
type Origin string

// ConsoleSettingsSpec is the desired state of the appliance's console
// settings (API singleton settings/console): how browser sign-in to the web
// console works. Every setting is optional and defaults to the setting of a
// new appliance.
type ConsoleSettingsSpec struct {
	// Make every user enroll TOTP before the web console opens; a user's
	// own mfa_required asks it of that user alone. Default false.
	// +optional
	MFARequired bool `json:"mfaRequired,omitempty"`

	// End a browser session after this long without a request, 5–1440
	// minutes. Default 30.
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=1440
	// +kubebuilder:default=30
	// +optional
	SessionIdleTimeoutMinutes int32 `json:"sessionIdleTimeoutMinutes,omitempty"`

	// End a browser session this long after sign-in, however busy, 1–720
	// hours. Default 12.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=720
	// +kubebuilder:default=12
	// +optional
	SessionLifetimeHours int32 `json:"sessionLifetimeHours,omitempty"`

	// Origins besides the appliance's own that may send state-changing
	// requests and open WebSockets with a browser session, such as a
	// reverse proxy's public origin; at most 20, each once. Default none.
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:default={}
	// +listType=set
	// +optional
	TrustedOrigins []Origin `json:"trustedOrigins,omitempty"`
}

// ConsoleSettingsStatus is the observed state of the ConsoleSettings. Its
// applianceID is always 0: the settings are a singleton.
type ConsoleSettingsStatus struct {
	Status `json:",inline"`
}

// ConsoleSettings are the console settings of the appliance (browser
// sign-in: MFA, session lifetimes, trusted origins), a singleton: the only
// allowed object is named `default`, and there should be one per appliance
// (in one namespace; of several, the oldest manages the appliance). Deleting
// it puts every setting back to the default of a new appliance.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=jcons,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="MFA required",type=boolean,JSONPath=`.spec.mfaRequired`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name == 'default'",message="ConsoleSettings is a singleton: metadata.name must be 'default'"
type ConsoleSettings struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +kubebuilder:default={}
	// +optional
	Spec ConsoleSettingsSpec `json:"spec,omitempty"`
	// +optional
	Status ConsoleSettingsStatus `json:"status,omitempty"`
}

// ConsoleSettingsList is a list of ConsoleSettings.
//
// +kubebuilder:object:root=true
type ConsoleSettingsList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ConsoleSettings `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ConsoleSettings{}, &ConsoleSettingsList{})
}
