package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/internal/envtesting"
	v1 "github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// These tests install the generated CRDs of crds/ into a real kube-apiserver
// (envtest) and check that the API server applies the defaults and enforces
// the validation of every kind: OpenAPI limits and the CEL rules.

const namespace = "validation"

var k8s client.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := envtesting.Start(filepath.Join("..", "..", "..", "crds"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	k8s = env.Client
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		fmt.Fprintln(os.Stderr, "creating the test namespace:", err)
		return 1
	}
	return m.Run()
}

var seq atomic.Int64

// objectName returns a fresh metadata.name.
func objectName() string { return fmt.Sprintf("obj-%d", seq.Add(1)) }

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace}
}

func ref(name string) *v1.LocalObjectReference { return &v1.LocalObjectReference{Name: name} }

// Minimal valid objects of every kind.

func jumpGroup() *v1.JumpGroup {
	return &v1.JumpGroup{ObjectMeta: meta(objectName()), Spec: v1.JumpGroupSpec{Name: "Servers"}}
}

func jumpPolicy() *v1.JumpPolicy {
	return &v1.JumpPolicy{ObjectMeta: meta(objectName()), Spec: v1.JumpPolicySpec{DisplayName: "Business hours"}}
}

func sessionPolicy() *v1.SessionPolicy {
	return &v1.SessionPolicy{ObjectMeta: meta(objectName()), Spec: v1.SessionPolicySpec{DisplayName: "Shell only"}}
}

func jumpoint() *v1.Jumpoint {
	return &v1.Jumpoint{ObjectMeta: meta(objectName()), Spec: v1.JumpointSpec{Name: "Datacenter"}}
}

func installer() *v1.JumpClientInstaller {
	return &v1.JumpClientInstaller{ObjectMeta: meta(objectName()), Spec: v1.JumpClientInstallerSpec{JumpGroupRef: ref("servers")}}
}

func tunnelJump() *v1.ProtocolTunnelJump {
	return &v1.ProtocolTunnelJump{ObjectMeta: meta(objectName()), Spec: v1.ProtocolTunnelJumpSpec{
		Name:              "Database",
		JumpointRef:       v1.LocalObjectReference{Name: "datacenter"},
		Hostname:          "db.internal",
		TunnelDefinitions: []v1.TunnelDefinition{{RemotePort: 5432}},
		JumpGroupRef:      ref("servers"),
	}}
}

func publicPortal() *v1.PublicPortal {
	return &v1.PublicPortal{ObjectMeta: meta(objectName()), Spec: v1.PublicPortalSpec{
		Hostname: "support.example.com", DisplayName: "Support",
	}}
}

// jumpClientSettings returns the singleton in a namespace of its own, since
// its name is fixed.
func jumpClientSettings(t *testing.T) *v1.JumpClientSettings {
	t.Helper()
	ns := fmt.Sprintf("jcs-%d", seq.Add(1))
	require.NoError(t, k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	return &v1.JumpClientSettings{ObjectMeta: metav1.ObjectMeta{Name: v1.JumpClientSettingsName, Namespace: ns}}
}

// consoleSettings returns the singleton in a namespace of its own, since
// its name is fixed.
func consoleSettings(t *testing.T) *v1.ConsoleSettings {
	t.Helper()
	ns := fmt.Sprintf("cons-%d", seq.Add(1))
	require.NoError(t, k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	return &v1.ConsoleSettings{ObjectMeta: metav1.ObjectMeta{Name: v1.ConsoleSettingsName, Namespace: ns}}
}

// create creates obj and reads it back into obj.
func create(t *testing.T, obj client.Object) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, k8s.Create(ctx, obj))
	require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj))
}

// TestCRDs_Installed checks that every kind is served with its printer
// columns' fields and the shared category.
func TestCRDs_Installed(t *testing.T) {
	ctx := context.Background()
	lists := []client.ObjectList{
		&v1.JumpGroupList{}, &v1.JumpPolicyList{}, &v1.SessionPolicyList{}, &v1.JumpointList{},
		&v1.JumpClientInstallerList{}, &v1.ProtocolTunnelJumpList{}, &v1.PublicPortalList{}, &v1.JumpClientSettingsList{},
		&v1.ConsoleSettingsList{},
	}
	for _, l := range lists {
		assert.NoError(t, k8s.List(ctx, l, client.InNamespace(namespace)), "%T", l)
	}
	mapper := k8s.RESTMapper()
	for _, kind := range []string{"JumpGroup", "JumpPolicy", "SessionPolicy", "Jumpoint", "JumpClientInstaller", "ProtocolTunnelJump", "PublicPortal", "JumpClientSettings", "ConsoleSettings"} {
		m, err := mapper.RESTMapping(v1.GroupVersion.WithKind(kind).GroupKind(), v1.GroupVersion.Version)
		if assert.NoError(t, err, kind) {
			assert.Equal(t, "namespace", string(m.Scope.Name()), kind)
		}
	}
}

// TestDefaults creates a minimal object of every kind and checks the
// defaults the API server filled in.
func TestDefaults(t *testing.T) {
	t.Run("JumpGroup", func(t *testing.T) {
		o := jumpGroup()
		create(t, o)
		assert.Equal(t, "Servers", o.Spec.Name)
		assert.Empty(t, o.Spec.CodeName, "the controller, not the API server, applies the code name default")
	})
	t.Run("JumpPolicy", func(t *testing.T) {
		o := jumpPolicy()
		create(t, o)
		assert.Equal(t, "UTC", o.Spec.Timezone)
		assert.Equal(t, "join", o.Spec.SimultaneousJumps)
		assert.Equal(t, int32(60), o.Spec.ApprovalMaxDuration)
		assert.False(t, o.Spec.ScheduleEnabled)
	})
	t.Run("SessionPolicy", func(t *testing.T) {
		o := sessionPolicy()
		create(t, o)
		s := o.Spec
		assert.Equal(t, v1.SessionPermissions{Clipboard: "off", ClipboardMaxBytes: 8388608}, s.Permissions)
		assert.Equal(t, "never", s.PromptCustomer)
		assert.Equal(t, int32(180), s.PromptTimeoutSeconds)
		assert.Equal(t, "deny", s.OnTimeout)
		assert.Equal(t, int32(120), s.MaxSessionMinutes)
		assert.Equal(t, int32(0), s.IdleTimeoutMinutes)
		assert.Equal(t, ptr.To(true), s.RecordShell)
		assert.Equal(t, ptr.To(true), s.RecordScreen)
		assert.Equal(t, ptr.To(true), s.RecordTunnel)
	})
	t.Run("Jumpoint", func(t *testing.T) {
		o := jumpoint()
		o.Spec.Deployment = &v1.JumpointDeployment{}
		create(t, o)
		s := o.Spec
		assert.Equal(t, "linux-amd64", s.Platform)
		assert.Equal(t, ptr.To(true), s.Enabled)
		assert.False(t, s.Clustered)
		assert.Equal(t, v1.JumpZoneProxy{Port: 8443}, s.JumpZoneProxy)
		require.NotNil(t, s.Deployment)
		assert.Equal(t, ptr.To(int32(1)), s.Deployment.Replicas)
		assert.Empty(t, s.Deployment.Image)
	})
	t.Run("JumpClientInstaller", func(t *testing.T) {
		o := installer()
		create(t, o)
		s := o.Spec
		assert.Equal(t, int32(1440), s.ValidDuration)
		assert.Equal(t, "shared", s.JumpGroupType)
		assert.Equal(t, int32(0), s.MaxOfflineMinutes)
		assert.Equal(t, "normal", s.CustomerClientStartMode)
		assert.Equal(t, ptr.To(true), s.ElevateInstall)
		assert.False(t, s.ElevatePrompt)
		assert.Empty(t, s.ConnectionType, "left to the appliance's default_connection_type")
		assert.Empty(t, s.Rotation)
		assert.Empty(t, s.SecretName, "the controller applies <name>-installer")
	})
	t.Run("ProtocolTunnelJump", func(t *testing.T) {
		o := tunnelJump()
		create(t, o)
		assert.Equal(t, "127.0.0.1", o.Spec.TunnelListenAddress)
		assert.Equal(t, "shared", o.Spec.JumpGroupType)
		assert.Equal(t, []v1.TunnelDefinition{{LocalPort: 0, RemotePort: 5432}}, o.Spec.TunnelDefinitions)
	})
	t.Run("PublicPortal", func(t *testing.T) {
		o := publicPortal()
		create(t, o)
		assert.Equal(t, "reject", o.Spec.AutomaticBehavior)
		assert.False(t, o.Spec.Default)
	})
	t.Run("JumpClientSettings", func(t *testing.T) {
		o := jumpClientSettings(t)
		create(t, o)
		s := o.Spec
		assert.ElementsMatch(t, []string{"console_user", "cpu", "disk", "uptime"}, s.Statistics)
		assert.Equal(t, int32(60), s.StatisticsIntervalSeconds)
		assert.Equal(t, "always", s.UpgradeMode)
		assert.Equal(t, int32(90), s.LostAfterDays)
		assert.Equal(t, int32(180), s.DeletedAfterDays)
		assert.Equal(t, "keep", s.UninstalledBehavior)
		assert.Equal(t, "active", s.DefaultConnectionType)
		assert.Equal(t, int32(60), s.StandbyCheckInMinutes)
		assert.Equal(t, "join", s.SimultaneousJumps)
		assert.Equal(t, ptr.To(true), s.UnattendedSessionsAllowed)
	})
	t.Run("ConsoleSettings", func(t *testing.T) {
		o := consoleSettings(t)
		create(t, o)
		s := o.Spec
		assert.False(t, s.MFARequired)
		assert.Equal(t, int32(30), s.SessionIdleTimeoutMinutes)
		assert.Equal(t, int32(12), s.SessionLifetimeHours)
		assert.Empty(t, s.TrustedOrigins)
	})
}

// validationCase is one object the API server must accept (want "") or
// refuse with an error containing want.
type validationCase struct {
	name string
	obj  func(t *testing.T) client.Object
	want string
}

// mutate returns a case builder: base with edit applied.
func mutate[T client.Object](base func() T, edit func(T)) func(*testing.T) client.Object {
	return func(*testing.T) client.Object {
		o := base()
		edit(o)
		return o
	}
}

func runCases(t *testing.T, cases []validationCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), tt.obj(t))
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err, "the API server accepted an invalid object")
			t.Logf("refused: %v", err)
			assert.True(t, apierrors.IsInvalid(err), "want 422 Invalid, got %v", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

var (
	long65   = strings.Repeat("a", 65)
	long129  = strings.Repeat("n", 129)
	long1025 = strings.Repeat("c", 1025)
)

func TestValidation_JumpGroup(t *testing.T) {
	e := func(edit func(*v1.JumpGroup)) func(*testing.T) client.Object { return mutate(jumpGroup, edit) }
	runCases(t, []validationCase{
		{"valid with code name and memberships", e(func(o *v1.JumpGroup) {
			o.Spec.CodeName = "Servers_1.a-b"
			o.Spec.Memberships = []v1.JumpGroupMembership{{GroupPolicyName: "Admins", Role: "edit", JumpPolicyRef: ref("hours")}}
		}), ""},
		{"name required", e(func(o *v1.JumpGroup) { o.Spec.Name = "" }), "spec.name"},
		{"name too long", e(func(o *v1.JumpGroup) { o.Spec.Name = long129 }), "spec.name: Too long"},
		{"code name pattern", e(func(o *v1.JumpGroup) { o.Spec.CodeName = "-bad" }), "spec.codeName"},
		{"code name too long", e(func(o *v1.JumpGroup) { o.Spec.CodeName = long65 }), "spec.codeName: Too long"},
		{"long metadata.name needs a code name", e(func(o *v1.JumpGroup) { o.Name = long65 }), "cannot be the code name: set spec.codeName"},
		{"long metadata.name with a code name", e(func(o *v1.JumpGroup) { o.Name = long65; o.Spec.CodeName = "servers" }), ""},
		{"comments too long", e(func(o *v1.JumpGroup) { o.Spec.Comments = long1025 }), "spec.comments: Too long"},
		{"membership role", e(func(o *v1.JumpGroup) {
			o.Spec.Memberships = []v1.JumpGroupMembership{{GroupPolicyName: "Admins", Role: "own"}}
		}), "spec.memberships[0].role: Unsupported value"},
		{"membership group policy once", e(func(o *v1.JumpGroup) {
			o.Spec.Memberships = []v1.JumpGroupMembership{{GroupPolicyName: "Admins", Role: "view"}, {GroupPolicyName: "Admins", Role: "edit"}}
		}), "Duplicate value"},
		{"reference name DNS-1123", e(func(o *v1.JumpGroup) {
			o.Spec.Memberships = []v1.JumpGroupMembership{{GroupPolicyName: "Admins", Role: "view", JumpPolicyRef: ref("Not_DNS")}}
		}), "spec.memberships[0].jumpPolicyRef.name"},
	})
}

func TestValidation_JumpPolicy(t *testing.T) {
	e := func(edit func(*v1.JumpPolicy)) func(*testing.T) client.Object { return mutate(jumpPolicy, edit) }
	window := func(start, end string) []v1.ScheduleWindow {
		return []v1.ScheduleWindow{{Day: "monday", StartTime: start, EndTime: end}}
	}
	runCases(t, []validationCase{
		{"valid with everything", e(func(o *v1.JumpPolicy) {
			o.Spec.ScheduleEnabled = true
			o.Spec.Schedule = window("08:00", "24:00")
			o.Spec.ExpiresAt = &metav1.Time{Time: time.Date(2030, 1, 31, 18, 0, 0, 0, time.UTC)}
			o.Spec.TicketIDRequired = true
			o.Spec.TicketIDWebhookURL = "https://tickets.example.com/check"
			o.Spec.ApprovalRequired = true
			o.Spec.ApproverUsernames = []string{"alice", "bob@example"}
			o.Spec.SessionStartNotification = true
			o.Spec.NotificationEmailAddresses = []string{"ops@example.com"}
		}), ""},
		{"display name required", e(func(o *v1.JumpPolicy) { o.Spec.DisplayName = "" }), "spec.displayName"},
		{"display name too long", e(func(o *v1.JumpPolicy) { o.Spec.DisplayName = long129 }), "spec.displayName: Too long"},
		{"description too long", e(func(o *v1.JumpPolicy) { o.Spec.Description = long1025 }), "spec.description: Too long"},
		{"long metadata.name needs a code name", e(func(o *v1.JumpPolicy) { o.Name = long65 }), "set spec.codeName"},
		{"schedule enabled needs a schedule", e(func(o *v1.JumpPolicy) { o.Spec.ScheduleEnabled = true }), "scheduleEnabled needs at least one schedule entry"},
		{"schedule end after start", e(func(o *v1.JumpPolicy) { o.Spec.Schedule = window("18:00", "08:00") }), "endTime must be after startTime"},
		{"schedule end equal to start", e(func(o *v1.JumpPolicy) { o.Spec.Schedule = window("08:00", "08:00") }), "endTime must be after startTime"},
		{"schedule start 24:00", e(func(o *v1.JumpPolicy) { o.Spec.Schedule = window("24:00", "24:00") }), "spec.schedule[0].startTime"},
		{"schedule time format", e(func(o *v1.JumpPolicy) { o.Spec.Schedule = window("8:00", "18:00") }), "spec.schedule[0].startTime"},
		{"schedule day", e(func(o *v1.JumpPolicy) {
			o.Spec.Schedule = []v1.ScheduleWindow{{Day: "Monday", StartTime: "08:00", EndTime: "18:00"}}
		}), "spec.schedule[0].day: Unsupported value"},
		{"schedule at most 100", e(func(o *v1.JumpPolicy) {
			for range 101 {
				o.Spec.Schedule = append(o.Spec.Schedule, window("08:00", "18:00")...)
			}
		}), "spec.schedule: Too many"},
		{"simultaneous jumps", e(func(o *v1.JumpPolicy) { o.Spec.SimultaneousJumps = "queue" }), "spec.simultaneousJumps: Unsupported value"},
		{"ticket id needs a webhook", e(func(o *v1.JumpPolicy) { o.Spec.TicketIDRequired = true }), "ticketIDRequired needs ticketIDWebhookURL"},
		{"webhook URL scheme", e(func(o *v1.JumpPolicy) { o.Spec.TicketIDWebhookURL = "ftp://x.example.com/" }), "must be an http(s) URL without user info"},
		{"webhook URL user info", e(func(o *v1.JumpPolicy) { o.Spec.NotificationWebhookURL = "https://u:p@x.example.com/" }), "must be an http(s) URL without user info"},
		{"approval needs approvers", e(func(o *v1.JumpPolicy) { o.Spec.ApprovalRequired = true }), "approvalRequired needs at least one of approverUsernames"},
		{"approver username pattern", e(func(o *v1.JumpPolicy) { o.Spec.ApproverUsernames = []string{"-bad"} }), "spec.approverUsernames[0]"},
		{"approvers each once", e(func(o *v1.JumpPolicy) { o.Spec.ApproverUsernames = []string{"alice", "alice"} }), "Duplicate value"},
		{"approval max duration", e(func(o *v1.JumpPolicy) { o.Spec.ApprovalMaxDuration = 43201 }), "spec.approvalMaxDuration"},
		{"notifications need a target", e(func(o *v1.JumpPolicy) { o.Spec.SessionEndNotification = true }), "need notificationEmailAddresses or notificationWebhookURL"},
		{"notifications with a webhook", e(func(o *v1.JumpPolicy) {
			o.Spec.SessionEndNotification = true
			o.Spec.NotificationWebhookURL = "http://hooks.example.com/jumpgate"
		}), ""},
		{"e-mail address", e(func(o *v1.JumpPolicy) { o.Spec.NotificationEmailAddresses = []string{"not-an-address"} }), "spec.notificationEmailAddresses[0]"},
	})
}

func TestValidation_SessionPolicy(t *testing.T) {
	e := func(edit func(*v1.SessionPolicy)) func(*testing.T) client.Object { return mutate(sessionPolicy, edit) }
	runCases(t, []validationCase{
		{"valid with every permission", e(func(o *v1.SessionPolicy) {
			o.Spec.Permissions = v1.SessionPermissions{Shell: true, FileRead: true, FileWrite: true, Tunnel: true, SystemInfo: true,
				ScreenView: true, ScreenControl: true, Clipboard: "both", ClipboardMaxBytes: 1}
			o.Spec.PromptCustomer = "not_present"
			o.Spec.IdleTimeoutMinutes = 1440
		}), ""},
		{"display name required", e(func(o *v1.SessionPolicy) { o.Spec.DisplayName = "" }), "spec.displayName"},
		{"code name pattern", e(func(o *v1.SessionPolicy) { o.Spec.CodeName = "has space" }), "spec.codeName"},
		{"long metadata.name needs a code name", e(func(o *v1.SessionPolicy) { o.Name = long65 }), "set spec.codeName"},
		{"file write needs file read", e(func(o *v1.SessionPolicy) { o.Spec.Permissions.FileWrite = true }), "fileWrite needs fileRead"},
		{"screen control needs screen view", e(func(o *v1.SessionPolicy) { o.Spec.Permissions.ScreenControl = true }), "screenControl needs screenView"},
		{"clipboard", e(func(o *v1.SessionPolicy) { o.Spec.Permissions.Clipboard = "sometimes" }), "spec.permissions.clipboard: Unsupported value"},
		{"clipboard max bytes", e(func(o *v1.SessionPolicy) { o.Spec.Permissions.ClipboardMaxBytes = 8388609 }), "spec.permissions.clipboardMaxBytes"},
		{"prompt customer", e(func(o *v1.SessionPolicy) { o.Spec.PromptCustomer = "present" }), "spec.promptCustomer: Unsupported value"},
		{"prompt timeout too short", e(func(o *v1.SessionPolicy) { o.Spec.PromptTimeoutSeconds = 9 }), "spec.promptTimeoutSeconds"},
		{"prompt timeout too long", e(func(o *v1.SessionPolicy) { o.Spec.PromptTimeoutSeconds = 3601 }), "spec.promptTimeoutSeconds"},
		{"on timeout", e(func(o *v1.SessionPolicy) { o.Spec.OnTimeout = "ask" }), "spec.onTimeout: Unsupported value"},
		{"max session minutes", e(func(o *v1.SessionPolicy) { o.Spec.MaxSessionMinutes = 10081 }), "spec.maxSessionMinutes"},
		{"idle timeout", e(func(o *v1.SessionPolicy) { o.Spec.IdleTimeoutMinutes = 1441 }), "spec.idleTimeoutMinutes"},
	})
}

func TestValidation_Jumpoint(t *testing.T) {
	e := func(edit func(*v1.Jumpoint)) func(*testing.T) client.Object { return mutate(jumpoint, edit) }
	runCases(t, []validationCase{
		{"valid clustered deployment and proxy", e(func(o *v1.Jumpoint) {
			o.Spec.Clustered = true
			o.Spec.ProtocolTunnelEnabled = true
			o.Spec.JumpZoneProxy = v1.JumpZoneProxy{Enabled: true, Hostname: "proxy.example.com", Port: 443,
				AllowedClientCIDRs: []string{"10.0.0.0/8", "fd00::/8"}}
			o.Spec.Deployment = &v1.JumpointDeployment{Replicas: ptr.To(int32(10)), Image: "registry.example.com/jumpgate-agent:1",
				NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
				Tolerations:  []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}}
		}), ""},
		{"proxy hostname may be an IP", e(func(o *v1.Jumpoint) {
			o.Spec.JumpZoneProxy = v1.JumpZoneProxy{Enabled: true, Hostname: "192.0.2.10"}
		}), ""},
		{"name required", e(func(o *v1.Jumpoint) { o.Spec.Name = "" }), "spec.name"},
		{"long metadata.name needs a code name", e(func(o *v1.Jumpoint) { o.Name = long65 }), "set spec.codeName"},
		{"platform", e(func(o *v1.Jumpoint) { o.Spec.Platform = "linux-386" }), "spec.platform: Unsupported value"},
		{"comments too long", e(func(o *v1.Jumpoint) { o.Spec.Comments = long1025 }), "spec.comments: Too long"},
		{"proxy hostname required when enabled", e(func(o *v1.Jumpoint) { o.Spec.JumpZoneProxy.Enabled = true }), "hostname is required when the jump zone proxy is enabled"},
		{"proxy hostname", e(func(o *v1.Jumpoint) { o.Spec.JumpZoneProxy.Hostname = "bad_host!" }), "must be a DNS host name or an IP address"},
		{"proxy port", e(func(o *v1.Jumpoint) { o.Spec.JumpZoneProxy.Port = 65536 }), "spec.jumpZoneProxy.port"},
		{"proxy CIDRs", e(func(o *v1.Jumpoint) { o.Spec.JumpZoneProxy.AllowedClientCIDRs = []string{"10.0.0.0"} }), "must be CIDR prefixes"},
		{"proxy CIDRs at most 100", e(func(o *v1.Jumpoint) {
			for i := range 101 {
				o.Spec.JumpZoneProxy.AllowedClientCIDRs = append(o.Spec.JumpZoneProxy.AllowedClientCIDRs, fmt.Sprintf("10.%d.0.0/16", i))
			}
		}), "spec.jumpZoneProxy.allowedClientCIDRs: Too many"},
		{"replicas above 1 need clustered", e(func(o *v1.Jumpoint) {
			o.Spec.Deployment = &v1.JumpointDeployment{Replicas: ptr.To(int32(2))}
		}), "deployment.replicas above 1 needs clustered: true"},
		{"replicas at most 10", e(func(o *v1.Jumpoint) {
			o.Spec.Clustered = true
			o.Spec.Deployment = &v1.JumpointDeployment{Replicas: ptr.To(int32(11))}
		}), "spec.deployment.replicas"},
		{"replicas at least 1", e(func(o *v1.Jumpoint) {
			o.Spec.Deployment = &v1.JumpointDeployment{Replicas: ptr.To(int32(0))}
		}), "spec.deployment.replicas"},
		{"deployment runs Linux", e(func(o *v1.Jumpoint) {
			o.Spec.Platform = "windows-amd64"
			o.Spec.Deployment = &v1.JumpointDeployment{}
		}), "platform must be linux-amd64 or linux-arm64"},
	})
}

func TestValidation_JumpClientInstaller(t *testing.T) {
	e := func(edit func(*v1.JumpClientInstaller)) func(*testing.T) client.Object {
		return mutate(installer, edit)
	}
	runCases(t, []validationCase{
		{"valid with everything", e(func(o *v1.JumpClientInstaller) {
			s := &o.Spec
			s.ValidDuration = 525600
			s.PublicPortalRef, s.JumpPolicyRef = ref("support"), ref("hours")
			s.AttendedSessionPolicyRef, s.UnattendedSessionPolicyRef = ref("present"), ref("not-present")
			s.JumpointProxyRef = ref("datacenter")
			s.Name, s.Comments, s.Tag = "Laptop", "Sales laptops", "sales"
			s.ConnectionType = "standby"
			s.MaxOfflineMinutes = 5
			s.CustomerClientStartMode = "hidden"
			s.SupportButtonProfile, s.SupportButtonDirectQueue = "default", "team:general"
			s.AllowOverrideName, s.AllowOverrideMaxOfflineMinutes = true, true
			s.Rotation = "2026-11-21"
			s.SecretName = "laptop-key"
		}), ""},
		{"valid personal", e(func(o *v1.JumpClientInstaller) {
			o.Spec.JumpGroupRef = nil
			o.Spec.JumpGroupType = "personal"
			o.Spec.PersonalUsername = "alice"
		}), ""},
		{"valid duration at least 10", e(func(o *v1.JumpClientInstaller) { o.Spec.ValidDuration = 9 }), "spec.validDuration"},
		{"valid duration at most a year", e(func(o *v1.JumpClientInstaller) { o.Spec.ValidDuration = 525601 }), "spec.validDuration"},
		{"jump group required", e(func(o *v1.JumpClientInstaller) { o.Spec.JumpGroupRef = nil }), "jumpGroupRef is required unless jumpGroupType is personal"},
		{"personal needs a username", e(func(o *v1.JumpClientInstaller) {
			o.Spec.JumpGroupRef = nil
			o.Spec.JumpGroupType = "personal"
		}), "jumpGroupType personal needs personalUsername and no jumpGroupRef"},
		{"personal without jump group", e(func(o *v1.JumpClientInstaller) {
			o.Spec.JumpGroupType = "personal"
			o.Spec.PersonalUsername = "alice"
		}), "jumpGroupType personal needs personalUsername and no jumpGroupRef"},
		{"username needs personal", e(func(o *v1.JumpClientInstaller) { o.Spec.PersonalUsername = "alice" }), "personalUsername needs jumpGroupType personal"},
		{"jump group type", e(func(o *v1.JumpClientInstaller) { o.Spec.JumpGroupType = "team" }), "spec.jumpGroupType: Unsupported value"},
		{"name too long", e(func(o *v1.JumpClientInstaller) { o.Spec.Name = long129 }), "spec.name: Too long"},
		{"tag too long", e(func(o *v1.JumpClientInstaller) { o.Spec.Tag = long65 }), "spec.tag: Too long"},
		{"comments too long", e(func(o *v1.JumpClientInstaller) { o.Spec.Comments = long1025 }), "spec.comments: Too long"},
		{"connection type", e(func(o *v1.JumpClientInstaller) { o.Spec.ConnectionType = "passive" }), "spec.connectionType: Unsupported value"},
		{"max offline minutes 1–4", e(func(o *v1.JumpClientInstaller) { o.Spec.MaxOfflineMinutes = 4 }), "maxOfflineMinutes must be 0 (the global settings) or 5–525600"},
		{"max offline minutes too large", e(func(o *v1.JumpClientInstaller) { o.Spec.MaxOfflineMinutes = 525601 }), "spec.maxOfflineMinutes"},
		{"start mode", e(func(o *v1.JumpClientInstaller) { o.Spec.CustomerClientStartMode = "maximized" }), "spec.customerClientStartMode: Unsupported value"},
		{"support button profile", e(func(o *v1.JumpClientInstaller) { o.Spec.SupportButtonProfile = "no spaces" }), "spec.supportButtonProfile"},
		{"direct queue", e(func(o *v1.JumpClientInstaller) { o.Spec.SupportButtonDirectQueue = "general" }), "spec.supportButtonDirectQueue"},
		{"secret name", e(func(o *v1.JumpClientInstaller) { o.Spec.SecretName = "Key_Info" }), "spec.secretName"},
		{"rotation too long", e(func(o *v1.JumpClientInstaller) { o.Spec.Rotation = strings.Repeat("r", 257) }), "spec.rotation: Too long"},
		{"reference name required", e(func(o *v1.JumpClientInstaller) { o.Spec.JumpPolicyRef = ref("") }), "spec.jumpPolicyRef.name"},
	})
}

func TestValidation_ProtocolTunnelJump(t *testing.T) {
	e := func(edit func(*v1.ProtocolTunnelJump)) func(*testing.T) client.Object {
		return mutate(tunnelJump, edit)
	}
	defs := func(pairs ...int32) []v1.TunnelDefinition {
		var d []v1.TunnelDefinition
		for i := 0; i < len(pairs); i += 2 {
			d = append(d, v1.TunnelDefinition{LocalPort: pairs[i], RemotePort: pairs[i+1]})
		}
		return d
	}
	runCases(t, []validationCase{
		{"valid with everything", e(func(o *v1.ProtocolTunnelJump) {
			o.Spec.TunnelDefinitions = defs(0, 22, 0, 80, 8443, 443, 65535, 65535)
			o.Spec.TunnelListenAddress = "127.8.9.10"
			o.Spec.Hostname = "10.1.2.3"
			o.Spec.Tag, o.Spec.Comments = "db", "Primary"
			o.Spec.JumpPolicyRef, o.Spec.SessionPolicyRef = ref("hours"), ref("tunnel-only")
		}), ""},
		{"valid personal", e(func(o *v1.ProtocolTunnelJump) {
			o.Spec.JumpGroupRef = nil
			o.Spec.JumpGroupType = "personal"
			o.Spec.PersonalUsername = "alice"
		}), ""},
		{"valid IPv6 host", e(func(o *v1.ProtocolTunnelJump) { o.Spec.Hostname = "fd00::5" }), ""},
		{"name required", e(func(o *v1.ProtocolTunnelJump) { o.Spec.Name = "" }), "spec.name"},
		{"jumpoint reference required", e(func(o *v1.ProtocolTunnelJump) { o.Spec.JumpointRef.Name = "" }), "spec.jumpointRef.name"},
		{"hostname required", e(func(o *v1.ProtocolTunnelJump) { o.Spec.Hostname = "" }), "spec.hostname"},
		{"hostname", e(func(o *v1.ProtocolTunnelJump) { o.Spec.Hostname = "db host" }), "must be a DNS host name or an IP address"},
		{"at least one tunnel definition", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelDefinitions = []v1.TunnelDefinition{} }), "spec.tunnelDefinitions"},
		{"at most 100 tunnel definitions", e(func(o *v1.ProtocolTunnelJump) {
			o.Spec.TunnelDefinitions = nil
			for i := range 101 {
				o.Spec.TunnelDefinitions = append(o.Spec.TunnelDefinitions, v1.TunnelDefinition{RemotePort: int32(1000 + i)})
			}
		}), "spec.tunnelDefinitions: Too many"},
		{"100 tunnel definitions with unique local ports", e(func(o *v1.ProtocolTunnelJump) {
			o.Spec.TunnelDefinitions = nil
			for i := range 100 {
				o.Spec.TunnelDefinitions = append(o.Spec.TunnelDefinitions, v1.TunnelDefinition{LocalPort: int32(2000 + i), RemotePort: int32(1000 + i)})
			}
		}), ""},
		{"local ports unique", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelDefinitions = defs(5432, 5432, 5432, 5433) }), "localPort values other than 0 must be unique"},
		{"local port too large", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelDefinitions = defs(65536, 22) }), "spec.tunnelDefinitions[0].localPort"},
		{"remote port 0", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelDefinitions = defs(0, 0) }), "spec.tunnelDefinitions[0].remotePort"},
		{"remote port too large", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelDefinitions = defs(0, 65536) }), "spec.tunnelDefinitions[0].remotePort"},
		{"listen address not loopback", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelListenAddress = "10.0.0.1" }), "tunnelListenAddress must be an IPv4 address in 127.0.0.0/8"},
		{"listen address IPv6", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelListenAddress = "::1" }), "tunnelListenAddress must be an IPv4 address in 127.0.0.0/8"},
		{"listen address not an IP", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelListenAddress = "localhost" }), "tunnelListenAddress must be an IPv4 address in 127.0.0.0/8"},
		{"listen address not canonical", e(func(o *v1.ProtocolTunnelJump) { o.Spec.TunnelListenAddress = "127.000.0.1" }), "tunnelListenAddress must be an IPv4 address in 127.0.0.0/8"},
		{"jump group required", e(func(o *v1.ProtocolTunnelJump) { o.Spec.JumpGroupRef = nil }), "jumpGroupRef is required unless jumpGroupType is personal"},
		{"username needs personal", e(func(o *v1.ProtocolTunnelJump) { o.Spec.PersonalUsername = "alice" }), "personalUsername needs jumpGroupType personal"},
		{"tag too long", e(func(o *v1.ProtocolTunnelJump) { o.Spec.Tag = long65 }), "spec.tag: Too long"},
	})
}

func TestValidation_PublicPortal(t *testing.T) {
	e := func(edit func(*v1.PublicPortal)) func(*testing.T) client.Object { return mutate(publicPortal, edit) }
	runCases(t, []validationCase{
		{"valid with everything", e(func(o *v1.PublicPortal) {
			o.Spec.Default = true
			o.Spec.SessionPolicyRef = ref("portal")
			o.Spec.AutomaticBehavior = "accept"
		}), ""},
		{"valid IP hostname", e(func(o *v1.PublicPortal) { o.Spec.Hostname = "192.0.2.1" }), ""},
		{"hostname required", e(func(o *v1.PublicPortal) { o.Spec.Hostname = "" }), "spec.hostname"},
		{"hostname lower case", e(func(o *v1.PublicPortal) { o.Spec.Hostname = "Support.example.com" }), "in lower case and without a trailing dot"},
		{"hostname trailing dot", e(func(o *v1.PublicPortal) { o.Spec.Hostname = "support.example.com." }), "in lower case and without a trailing dot"},
		{"display name required", e(func(o *v1.PublicPortal) { o.Spec.DisplayName = "" }), "spec.displayName"},
		{"display name too long", e(func(o *v1.PublicPortal) { o.Spec.DisplayName = long129 }), "spec.displayName: Too long"},
		{"automatic behavior", e(func(o *v1.PublicPortal) { o.Spec.AutomaticBehavior = "ask" }), "spec.automaticBehavior: Unsupported value"},
	})
}

func TestValidation_JumpClientSettings(t *testing.T) {
	e := func(edit func(*v1.JumpClientSettings)) func(*testing.T) client.Object {
		return func(t *testing.T) client.Object {
			o := jumpClientSettings(t)
			edit(o)
			return o
		}
	}
	runCases(t, []validationCase{
		{"valid with everything", e(func(o *v1.JumpClientSettings) {
			s := &o.Spec
			s.Statistics = []string{"cpu", "screen"}
			s.StatisticsIntervalSeconds = 86400
			s.UpgradeMode = "this_version"
			s.LostAfterDays, s.DeletedAfterDays = 15, 16
			s.UninstalledBehavior = "remove"
			s.RestrictLocalUninstall, s.WakeOnLANAllowed, s.PresenceUsesScreenState, s.AdhocSessionsFromJumpClients = true, true, true, true
			s.DefaultConnectionType = "standby"
			s.StandbyCheckInMinutes = 1440
			s.SimultaneousJumps = "disallow"
			s.UnattendedSessionsAllowed = ptr.To(false)
		}), ""},
		{"singleton name", e(func(o *v1.JumpClientSettings) { o.Name = "settings" }), "JumpClientSettings is a singleton: metadata.name must be 'default'"},
		{"statistics", e(func(o *v1.JumpClientSettings) { o.Spec.Statistics = []string{"memory"} }), "spec.statistics[0]: Unsupported value"},
		{"statistics each once", e(func(o *v1.JumpClientSettings) { o.Spec.Statistics = []string{"cpu", "cpu"} }), "Duplicate value"},
		{"statistics interval", e(func(o *v1.JumpClientSettings) { o.Spec.StatisticsIntervalSeconds = 14 }), "spec.statisticsIntervalSeconds"},
		{"upgrade mode", e(func(o *v1.JumpClientSettings) { o.Spec.UpgradeMode = "never" }), "spec.upgradeMode: Unsupported value"},
		{"lost before deleted", e(func(o *v1.JumpClientSettings) { o.Spec.LostAfterDays, o.Spec.DeletedAfterDays = 200, 180 }), "lostAfterDays must be less than deletedAfterDays"},
		{"lost equal to deleted", e(func(o *v1.JumpClientSettings) { o.Spec.LostAfterDays, o.Spec.DeletedAfterDays = 90, 90 }), "lostAfterDays must be less than deletedAfterDays"},
		{"lost default against deleted", e(func(o *v1.JumpClientSettings) { o.Spec.DeletedAfterDays = 60 }), "lostAfterDays must be less than deletedAfterDays"},
		{"lost after at least 15 days", e(func(o *v1.JumpClientSettings) { o.Spec.LostAfterDays = 14 }), "spec.lostAfterDays"},
		{"deleted after at most 3650 days", e(func(o *v1.JumpClientSettings) { o.Spec.DeletedAfterDays = 3651 }), "spec.deletedAfterDays"},
		{"uninstalled behavior", e(func(o *v1.JumpClientSettings) { o.Spec.UninstalledBehavior = "archive" }), "spec.uninstalledBehavior: Unsupported value"},
		{"default connection type", e(func(o *v1.JumpClientSettings) { o.Spec.DefaultConnectionType = "passive" }), "spec.defaultConnectionType: Unsupported value"},
		{"standby check-in", e(func(o *v1.JumpClientSettings) { o.Spec.StandbyCheckInMinutes = 1441 }), "spec.standbyCheckInMinutes"},
		{"simultaneous jumps", e(func(o *v1.JumpClientSettings) { o.Spec.SimultaneousJumps = "queue" }), "spec.simultaneousJumps: Unsupported value"},
	})
}

func TestValidation_ConsoleSettings(t *testing.T) {
	e := func(edit func(*v1.ConsoleSettings)) func(*testing.T) client.Object {
		return func(t *testing.T) client.Object {
			o := consoleSettings(t)
			edit(o)
			return o
		}
	}
	origin := func(o string) func(*v1.ConsoleSettings) {
		return func(s *v1.ConsoleSettings) { s.Spec.TrustedOrigins = []v1.Origin{v1.Origin(o)} }
	}
	cases := []validationCase{
		{"valid with everything", e(func(o *v1.ConsoleSettings) {
			s := &o.Spec
			s.MFARequired = true
			s.SessionIdleTimeoutMinutes, s.SessionLifetimeHours = 1440, 720
			s.TrustedOrigins = []v1.Origin{"https://support.example.com", "http://localhost:8443", "https://[::1]:8443", "https://10.0.0.1"}
		}), ""},
		{"shortest limits", e(func(o *v1.ConsoleSettings) { o.Spec.SessionIdleTimeoutMinutes, o.Spec.SessionLifetimeHours = 5, 1 }), ""},
		{"singleton name", e(func(o *v1.ConsoleSettings) { o.Name = "console" }), "ConsoleSettings is a singleton: metadata.name must be 'default'"},
		{"idle timeout at least 5", e(func(o *v1.ConsoleSettings) { o.Spec.SessionIdleTimeoutMinutes = 4 }), "spec.sessionIdleTimeoutMinutes"},
		{"idle timeout at most 1440", e(func(o *v1.ConsoleSettings) { o.Spec.SessionIdleTimeoutMinutes = 1441 }), "spec.sessionIdleTimeoutMinutes"},
		{"lifetime at most 720", e(func(o *v1.ConsoleSettings) { o.Spec.SessionLifetimeHours = 721 }), "spec.sessionLifetimeHours"},
		{"origins each once", e(func(o *v1.ConsoleSettings) {
			o.Spec.TrustedOrigins = []v1.Origin{"https://a.example.com", "https://a.example.com"}
		}), "Duplicate value"},
		{"at most 20 origins", e(func(o *v1.ConsoleSettings) {
			for i := range 21 {
				o.Spec.TrustedOrigins = append(o.Spec.TrustedOrigins, v1.Origin(fmt.Sprintf("https://h%d.example.com", i)))
			}
		}), "spec.trustedOrigins: Too many"},
	}
	for _, bad := range []string{"support.example.com", "https://support.example.com/", "https://support.example.com/console",
		"https://support.example.com?x=1", "https://support.example.com#top", "https://user@support.example.com",
		"https://Support.example.com", "ftp://support.example.com", "https://support.example.com:", "https://support.example.com:443",
		"http://support.example.com:80"} {
		cases = append(cases, validationCase{"origin " + bad, e(origin(bad)), "must be an origin such as https://support.example.com"})
	}
	runCases(t, cases)
}

// TestStatus_Subresource checks that status is a subresource: a spec write
// does not change it, and a status write is kept.
func TestStatus_Subresource(t *testing.T) {
	ctx := context.Background()
	o := jumpGroup()
	create(t, o)
	o.Status.ApplianceID = 42
	o.Status.ObservedGeneration = o.Generation
	o.Status.Conditions = []metav1.Condition{{
		Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonReconciled,
		Message: "in the appliance", LastTransitionTime: metav1.Now(),
	}}
	require.NoError(t, k8s.Status().Update(ctx, o))

	got := &v1.JumpGroup{}
	require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(o), got))
	assert.Equal(t, int64(42), got.Status.ApplianceID)
	require.Len(t, got.Status.Conditions, 1)
	assert.Equal(t, v1.ReasonReconciled, got.Status.Conditions[0].Reason)

	got.Spec.Comments = "changed"
	got.Status.ApplianceID = 7 // ignored: the main resource does not write status
	require.NoError(t, k8s.Update(ctx, got))
	require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(o), got))
	assert.Equal(t, int64(42), got.Status.ApplianceID)
	assert.Equal(t, int64(2), got.Generation)
}
