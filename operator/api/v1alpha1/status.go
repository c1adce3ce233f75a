package v1alpha1

import "k8s.io/apimachinery/pkg/api/meta"

// Object is a custom resource of this package: every kind has the shared
// Status, which controllers and tools reach through CommonStatus.
//
// +kubebuilder:object:generate=false
type Object interface {
	CommonStatus() *Status
}

// IsReady reports whether the status has condition Ready=True for the
// current generation's spec, as far as the status says.
func (s *Status) IsReady() bool {
	return meta.IsStatusConditionTrue(s.Conditions, ConditionReady)
}

// CommonStatus returns the status part that every kind shares.
func (o *JumpGroup) CommonStatus() *Status { return &o.Status.Status }

// CommonStatus returns the status part that every kind shares.
func (o *JumpPolicy) CommonStatus() *Status { return &o.Status.Status }

// CommonStatus returns the status part that every kind shares.
func (o *SessionPolicy) CommonStatus() *Status { return &o.Status.Status }

// CommonStatus returns the status part that every kind shares.
func (o *Jumpoint) CommonStatus() *Status { return &o.Status.Status }

// CommonStatus returns the status part that every kind shares.
func (o *JumpClientInstaller) CommonStatus() *Status { return &o.Status.Status }

// CommonStatus returns the status part that every kind shares.
func (o *ProtocolTunnelJump) CommonStatus() *Status { return &o.Status.Status }

// CommonStatus returns the status part that every kind shares.
func (o *PublicPortal) CommonStatus() *Status { return &o.Status.Status }

// CommonStatus returns the status part that every kind shares.
func (o *JumpClientSettings) CommonStatus() *Status { return &o.Status.Status }

// CommonStatus returns the status part that every kind shares.
func (o *ConsoleSettings) CommonStatus() *Status { return &o.Status.Status }
