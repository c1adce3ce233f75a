package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JumpPolicySpec is the desired state of a Jump Policy (API collection
// jump-policies).
//
// +kubebuilder:validation:XValidation:rule="!(has(self.scheduleEnabled) && self.scheduleEnabled) || (has(self.schedule) && size(self.schedule) > 0)",message="scheduleEnabled needs at least one schedule entry"
// +kubebuilder:validation:XValidation:rule="!(has(self.ticketIDRequired) && self.ticketIDRequired) || (has(self.ticketIDWebhookURL) && size(self.ticketIDWebhookURL) > 0)",message="ticketIDRequired needs ticketIDWebhookURL"
// +kubebuilder:validation:XValidation:rule="!(has(self.approvalRequired) && self.approvalRequired) || (has(self.approverUsernames) && size(self.approverUsernames) > 0)",message="approvalRequired needs at least one of approverUsernames"
// +kubebuilder:validation:XValidation:rule="!((has(self.sessionStartNotification) && self.sessionStartNotification) || (has(self.sessionEndNotification) && self.sessionEndNotification)) || (has(self.notificationEmailAddresses) && size(self.notificationEmailAddresses) > 0) || (has(self.notificationWebhookURL) && size(self.notificationWebhookURL) > 0)",message="sessionStartNotification and sessionEndNotification need notificationEmailAddresses or notificationWebhookURL"
type JumpPolicySpec struct {
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

	// Allow jumps only within the `schedule` windows; needs at least one
	// `schedule` entry. Default false.
	// +optional
	ScheduleEnabled bool `json:"scheduleEnabled,omitempty"`

	// Weekly windows, in `timezone`, when jumps are allowed (if
	// `scheduleEnabled`). At most 100 entries.
	// +kubebuilder:validation:MaxItems=100
	// +listType=atomic
	// +optional
	Schedule []ScheduleWindow `json:"schedule,omitempty"`

	// IANA time zone of the schedule, such as `Europe/Berlin`. Default `UTC`.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:default=UTC
	// +optional
	Timezone string `json:"timezone,omitempty"`

	// End running sessions when their schedule window closes. Default false.
	// +optional
	ScheduleStrict bool `json:"scheduleStrict,omitempty"`

	// When the policy stops allowing any jump, as an RFC 3339 time (the
	// appliance stores it in UTC, in whole seconds). Unset: the policy never
	// expires.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// What happens when a second user jumps to an item already in a session:
	// `allow` (independent sessions), `join` (they join the running session)
	// or `disallow`. Default `join`.
	// +kubebuilder:validation:Enum=allow;join;disallow
	// +kubebuilder:default=join
	// +optional
	SimultaneousJumps string `json:"simultaneousJumps,omitempty"`

	// Ask for a ticket ID before a jump, checked against
	// `ticketIDWebhookURL` (which it needs). Default false.
	// +optional
	TicketIDRequired bool `json:"ticketIDRequired,omitempty"`

	// http(s) URL, at most 2048 characters and without user info, that
	// validates ticket IDs (`ticket_id_webhook_url` in the API). Default ""
	// (none).
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || (isURL(self) && url(self).getScheme() in ['http', 'https'] && size(url(self).getHostname()) > 0 && !self.contains('@'))",message="must be an http(s) URL without user info"
	// +optional
	TicketIDWebhookURL string `json:"ticketIDWebhookURL,omitempty"`

	// Make jumps wait for a grant by one of `approverUsernames` (which it
	// needs). Default false.
	// +optional
	ApprovalRequired bool `json:"approvalRequired,omitempty"`

	// Usernames of the users who may approve jumps (the API's
	// `approval_user_ids`, which the controller resolves from these names);
	// existing users, each once, at most 100. Default [].
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=64
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`
	// +listType=set
	// +optional
	ApproverUsernames []string `json:"approverUsernames,omitempty"`

	// Longest approval an approver may grant, in minutes: 1–43200 (30 days).
	// Default 60.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=43200
	// +kubebuilder:default=60
	// +optional
	ApprovalMaxDuration int32 `json:"approvalMaxDuration,omitempty"`

	// Notify when a session starts; needs `notificationEmailAddresses` or
	// `notificationWebhookURL`. Default false.
	// +optional
	SessionStartNotification bool `json:"sessionStartNotification,omitempty"`

	// Notify when a session ends; needs `notificationEmailAddresses` or
	// `notificationWebhookURL`. Default false.
	// +optional
	SessionEndNotification bool `json:"sessionEndNotification,omitempty"`

	// E-mail addresses (at most 100, each at most 254 characters) that
	// receive start and end notifications. Stored; the appliance sends no
	// e-mail yet.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=254
	// +kubebuilder:validation:items:Pattern=`^[a-zA-Z0-9.!#$%&'*+/=?^_\x60{|}~-]+@[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?([.][a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`
	// +listType=set
	// +optional
	NotificationEmailAddresses []string `json:"notificationEmailAddresses,omitempty"`

	// http(s) URL, at most 2048 characters and without user info, that
	// receives start and end notifications as JSON POSTs
	// (`notification_webhook_url`). Default "" (none).
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || (isURL(self) && url(self).getScheme() in ['http', 'https'] && size(url(self).getHostname()) > 0 && !self.contains('@'))",message="must be an http(s) URL without user info"
	// +optional
	NotificationWebhookURL string `json:"notificationWebhookURL,omitempty"`

	// Turn session recording off for items under this policy. Default false.
	// +optional
	RecordingsDisabled bool `json:"recordingsDisabled,omitempty"`
}

// ScheduleWindow is a weekly window of a Jump Policy.
//
// +kubebuilder:validation:XValidation:rule="self.endTime > self.startTime",message="endTime must be after startTime"
type ScheduleWindow struct {
	// Day of the week in lower case: `monday` … `sunday`.
	// +kubebuilder:validation:Enum=monday;tuesday;wednesday;thursday;friday;saturday;sunday
	// +required
	Day string `json:"day"`

	// Start of the window as `HH:MM`, `00:00`–`23:59`.
	// +kubebuilder:validation:MaxLength=5
	// +kubebuilder:validation:Pattern=`^([01][0-9]|2[0-3]):[0-5][0-9]$`
	// +required
	StartTime string `json:"startTime"`

	// End of the window as `HH:MM`, after `startTime`; `24:00` is midnight
	// at the end of the day.
	// +kubebuilder:validation:MaxLength=5
	// +kubebuilder:validation:Pattern=`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`
	// +required
	EndTime string `json:"endTime"`
}

// JumpPolicyStatus is the observed state of a JumpPolicy.
type JumpPolicyStatus struct {
	Status `json:",inline"`
}

// JumpPolicy is a Jump Policy: when and how Jump Items may be jumped to —
// weekly schedule windows, an expiry, simultaneous jumps, approval, a
// required ticket ID, notifications and recording.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=jpol,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Appliance ID",type=integer,JSONPath=`.status.applianceID`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.spec.codeName) || size(self.metadata.name) <= 64",message="metadata.name is longer than 64 characters, so it cannot be the code name: set spec.codeName",fieldPath=".spec.codeName"
type JumpPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec JumpPolicySpec `json:"spec"`
	// +optional
	Status JumpPolicyStatus `json:"status,omitempty"`
}

// JumpPolicyList is a list of JumpPolicies.
//
// +kubebuilder:object:root=true
type JumpPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []JumpPolicy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&JumpPolicy{}, &JumpPolicyList{})
}
