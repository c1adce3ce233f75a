package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JumpointSpec is the desired state of a Jumpoint (API collection
// jumpoints), and optionally of the nodes the operator runs for it in the
// cluster.
//
// +kubebuilder:validation:XValidation:rule="!has(self.deployment) || !has(self.deployment.replicas) || self.deployment.replicas <= 1 || (has(self.clustered) && self.clustered)",message="deployment.replicas above 1 needs clustered: true (a jumpoint that is not clustered has one node)"
// +kubebuilder:validation:XValidation:rule="!has(self.deployment) || !has(self.platform) || self.platform in ['linux-amd64', 'linux-arm64']",message="deployment runs Linux nodes: platform must be linux-amd64 or linux-arm64"
type JumpointSpec struct {
	// Display name, 1–128 characters.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`

	// Unique machine name: 1–64 letters, digits, `_`, `-` and `.`, starting
	// with a letter or digit; it names the node installers. Optional: it
	// defaults to metadata.name (the controller applies it), so
	// metadata.name must then be at most 64 characters.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`
	// +optional
	CodeName string `json:"codeName,omitempty"`

	// Operating system and architecture of the jumpoint's host:
	// `linux-amd64`, `linux-arm64`, `raspberry-pi`, `macos-amd64`,
	// `macos-arm64` or `windows-amd64`. Default `linux-amd64`. With
	// `deployment`, `linux-amd64` or `linux-arm64`.
	// +kubebuilder:validation:Enum=linux-amd64;linux-arm64;raspberry-pi;macos-amd64;macos-arm64;windows-amd64
	// +kubebuilder:default=linux-amd64
	// +optional
	Platform string `json:"platform,omitempty"`

	// Whether the jumpoint serves jumps and its installers can be
	// downloaded and installed. Default true.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// Whether up to 10 nodes may serve the jumpoint (otherwise one). Cannot
	// be set back to false while more than one node is enrolled. Default
	// false.
	// +optional
	Clustered bool `json:"clustered,omitempty"`

	// Whether Shell Jump items may go through this jumpoint. Default false.
	// +optional
	ShellJumpEnabled bool `json:"shellJumpEnabled,omitempty"`

	// Whether Protocol Tunnel Jumps may go through this jumpoint. Cannot be
	// turned off while Protocol Tunnel Jumps use the jumpoint. Default
	// false.
	// +optional
	ProtocolTunnelEnabled bool `json:"protocolTunnelEnabled,omitempty"`

	// Makes the jumpoint a Jump Zone Proxy: Jump Clients that cannot reach
	// the appliance connect through it. Left out, the proxy is off. It
	// cannot be turned off while Jump Client installers name this jumpoint
	// as their `jumpointProxyRef`.
	// +kubebuilder:default={}
	// +optional
	JumpZoneProxy JumpZoneProxy `json:"jumpZoneProxy,omitempty"`

	// Free text, at most 1024 characters. Default "".
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comments string `json:"comments,omitempty"`

	// Runs the jumpoint's nodes in this cluster: the Deployment
	// `<name>-jumpoint` of jumpgate-agent in jumpoint mode, enrolled with
	// key info that the operator writes to the Secret
	// `<name>-jumpoint-enrollment`. Left out, the operator runs no nodes
	// (install them elsewhere from the jumpoint's downloads). Removing the
	// field, or deleting the custom resource, deletes both.
	//
	// Each pod runs `jumpgate-agent run --dir /var/lib/jumpgate-agent --key-info-file
	// /etc/jumpgate-agent/key-info`: on its first start it enrolls as a node of the
	// jumpoint from the key info (mounted read-only from the enrollment Secret)
	// into an emptyDir, then serves the jumpoint. The pods run as user and group
	// 65532 (runAsNonRoot) with a read-only root file system, no privilege
	// escalation, all capabilities dropped, the RuntimeDefault seccomp profile
	// and no service account token. The operator issues new key info (valid 24
	// hours) when less than 12 hours remain, so pods started later can enroll;
	// enrolled nodes do not need it. The Jumpoint is Ready once the Deployment
	// has all its replicas available (reason DeploymentProgressing until then).
	// A Deployment or Secret of those names that the Jumpoint does not own is
	// not taken over (Ready=False, reason NotOwned). The operator writes the
	// fields it sets when they differ, undoing edits made by hand; fields it
	// does not set (such as pod template annotations) are left alone.
	// +optional
	Deployment *JumpointDeployment `json:"deployment,omitempty"`
}

// JumpZoneProxy configures a Jumpoint as a Jump Zone Proxy.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.enabled) && self.enabled) || (has(self.hostname) && size(self.hostname) > 0)",message="hostname is required when the jump zone proxy is enabled"
type JumpZoneProxy struct {
	// Whether the proxy is on; `hostname` is then required. Default false.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// DNS name or IP address Jump Clients dial to reach the proxy; required
	// when `enabled`. Default "".
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || isIP(self) || self.matches('^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)([.][A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*[.]?$')",message="must be a DNS host name or an IP address"
	// +optional
	Hostname string `json:"hostname,omitempty"`

	// TCP port of the proxy, 1–65535. Default 8443.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=8443
	// +optional
	Port int32 `json:"port,omitempty"`

	// CIDR prefixes (IPv4 or IPv6, e.g. `10.0.0.0/8`) of the clients that
	// may use the proxy; at most 100. Empty (the default) allows none.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.all(c, isCIDR(c))",message="allowedClientCIDRs must be CIDR prefixes such as 10.0.0.0/8 or fd00::/8"
	// +listType=set
	// +optional
	AllowedClientCIDRs []string `json:"allowedClientCIDRs,omitempty"`
}

// JumpointDeployment is how the operator runs a Jumpoint's nodes in the
// cluster (see JumpointSpec.Deployment).
type JumpointDeployment struct {
	// Number of nodes (pods): 1–10, the clustered jumpoint limit; above 1
	// needs `clustered: true`. Default 1.
	//
	// Each pod is a node of its own (host id: the pod name); a new pod,
	// which starts from an empty volume without the old pod's key, never
	// takes an old pod's node over, since the appliance does not let a host
	// id alone replace a node. The appliance counts every enrolled node
	// against the jumpoint's limit (one, or 10 when clustered), connected
	// or not, so the operator removes the nodes of pods that are gone (not
	// connected, and no pod of that name exists) through the appliance's
	// nodes API. A jumpoint that is not clustered is rolled out by the
	// Recreate strategy: its new pod is refused until the old pod's node is
	// removed, and enrolls on a container restart after that. A clustered
	// jumpoint's Deployment is rolled out one pod at a time, never above
	// `replicas` pods.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	// +kubebuilder:default=1
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Container image of jumpgate-agent whose entry point is the agent (the
	// repository's Dockerfile, target `agent`), for the jumpoint's
	// platform. Empty: the operator's default agent image (its
	// --agent-image flag, else ghcr.io/jumpgate/jumpgate-agent tagged with
	// the operator's version).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Image string `json:"image,omitempty"`

	// Compute resources of the agent container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// Node labels the pods must match (the pod spec's nodeSelector), in
	// addition to `kubernetes.io/os: linux` and the `kubernetes.io/arch`
	// of `platform` (`amd64` or `arm64`), which the operator adds unless
	// this map sets those keys itself.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the pods.
	// +listType=atomic
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Secrets in the same namespace for pulling `image`.
	// +listType=atomic
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
}

// JumpointStatus is the observed state of a Jumpoint.
type JumpointStatus struct {
	Status `json:",inline"`

	// Number of the jumpoint's nodes connected to the appliance now (all
	// nodes, in the cluster or elsewhere), as of the last reconcile.
	// +optional
	ConnectedNodes int32 `json:"connectedNodes,omitempty"`

	// Name of the Deployment that runs the nodes, while `spec.deployment`
	// is set and the Jumpoint owns it.
	// +optional
	DeploymentName string `json:"deploymentName,omitempty"`
}

// Jumpoint is an agent inside a remote network that proxies jumps into it
// (Protocol Tunnel Jumps, Shell Jump), optionally also a Jump Zone Proxy for
// Jump Clients. With spec.deployment, the operator runs its nodes in the
// cluster.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=jp,categories=jumpgate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Appliance ID",type=integer,JSONPath=`.status.applianceID`
// +kubebuilder:printcolumn:name="Nodes",type=integer,JSONPath=`.status.connectedNodes`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.spec.codeName) || size(self.metadata.name) <= 64",message="metadata.name is longer than 64 characters, so it cannot be the code name: set spec.codeName",fieldPath=".spec.codeName"
type Jumpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec JumpointSpec `json:"spec"`
	// +optional
	Status JumpointStatus `json:"status,omitempty"`
}

// JumpointList is a list of Jumpoints.
//
// +kubebuilder:object:root=true
type JumpointList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Jumpoint `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Jumpoint{}, &JumpointList{})
}
