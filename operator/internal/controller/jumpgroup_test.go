package controller_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
	"github.com/jumpgate/jumpgate/operator/internal/controller"
)

func jumpGroup(name, display string) *v1alpha1.JumpGroup {
	return &v1alpha1.JumpGroup{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.JumpGroupSpec{Name: display}}
}

// TestJumpGroup_Lifecycle: create → Ready with the appliance object, update
// propagated, no reconcile loop, delete removes it.
func TestJumpGroup_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jg := jumpGroup("ops", "Operations")
	jg.Spec.Comments = "from kubernetes"
	e.Create(jg)
	id := e.WaitReady(jg)
	require.NotZero(t, id)

	a, err := e.API.GetJumpGroup(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Operations", a.Name)
	assert.Equal(t, "ops", a.CodeName, "codeName defaults to metadata.name")
	assert.Equal(t, "from kubernetes", a.Comments)
	assert.Equal(t, v1alpha1.ManagedByValue, a.Labels[v1alpha1.ManagedByLabel])
	assert.Equal(t, e.NS+".ops", a.Labels[v1alpha1.OwnerLabel])
	assert.Contains(t, jg.Finalizers, v1alpha1.Finalizer)
	synced := e.WaitCondition(jg, v1alpha1.ConditionSynced, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	assert.Contains(t, synced.Message, fmt.Sprint(id))
	e.WaitEvent(jg, "Created")

	// Status writes do not reconcile again: the count settles.
	settled := e.Reconciles("JumpGroup", "ops")
	time.Sleep(1500 * time.Millisecond)
	assert.Equal(t, settled, e.Reconciles("JumpGroup", "ops"), "reconciles after Ready (status writes must not trigger reconciles)")
	assert.LessOrEqual(t, settled, 3, "reconciles to get one new object Ready")

	e.Update(jg, func() { jg.Spec.Name = "Ops team"; jg.Spec.CodeName = "ops-team" })
	e.WaitReady(jg)
	a, err = e.API.GetJumpGroup(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Ops team", a.Name)
	assert.Equal(t, "ops-team", a.CodeName)
	assert.Equal(t, id, jg.Status.ApplianceID, "updated in place")
	e.WaitEvent(jg, "Updated")

	e.Delete(jg)
	_, err = e.API.GetJumpGroup(e.ctx, id)
	assert.ErrorIs(t, err, api.ErrNotFound)
}

// TestJumpGroup_Invalid: the API server refuses a bad spec.
func TestJumpGroup_Invalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jg := jumpGroup("bad", strings.Repeat("x", 129))
	jg.Namespace = e.NS
	err := k8s.Create(e.ctx, jg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec.name")
}

// TestJumpGroup_DriftCorrected: a change made in the appliance is written
// back at the next resync, with an Event; an object deleted in the
// appliance is created again.
func TestJumpGroup_DriftCorrected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(500*time.Millisecond))
	jg := jumpGroup("ops", "Operations")
	e.Create(jg)
	id := e.WaitReady(jg)

	_, err := e.API.PatchJumpGroup(e.ctx, id, map[string]any{"name": "Changed by hand", "comments": "x"})
	require.NoError(t, err)
	ev := e.WaitEvent(jg, v1alpha1.ReasonDriftCorrected)
	assert.Equal(t, "Normal", ev.Type)
	assert.Contains(t, ev.Note, "comments, name")
	e.Eventually(func() error {
		a, err := e.API.GetJumpGroup(e.ctx, id)
		if err != nil {
			return err
		}
		if a.Name != "Operations" || a.Comments != "" {
			return fmt.Errorf("appliance has name %q comments %q", a.Name, a.Comments)
		}
		return nil
	}, "the spec written back")

	require.NoError(t, e.API.DeleteJumpGroup(e.ctx, id))
	e.Eventually(func() error {
		if err := e.Get(jg); err != nil {
			return err
		}
		if jg.Status.ApplianceID == id || jg.Status.ApplianceID == 0 {
			return fmt.Errorf("applianceID %d", jg.Status.ApplianceID)
		}
		return nil
	}, "the jump group created again")
	a, err := e.API.GetJumpGroup(e.ctx, jg.Status.ApplianceID)
	require.NoError(t, err)
	assert.Equal(t, "ops", a.CodeName)

	// Nothing changes while nothing drifts: resyncs do not write.
	v := a.Version
	time.Sleep(1500 * time.Millisecond)
	a, err = e.API.GetJumpGroup(e.ctx, jg.Status.ApplianceID)
	require.NoError(t, err)
	assert.Equal(t, v, a.Version, "resyncs without drift wrote to the appliance")
}

// TestJumpGroup_RefusesToAdopt: an appliance object with the same code name
// that the operator did not create is left alone until the adopt annotation
// is set; deleting the refused resource does not delete it.
func TestJumpGroup_RefusesToAdopt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mine, err := e.API.CreateJumpGroup(e.ctx, &api.JumpGroup{Name: "Made by hand", CodeName: "ops"})
	require.NoError(t, err)

	jg := jumpGroup("ops", "Operations")
	e.Create(jg)
	c := e.WaitCondition(jg, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	assert.Contains(t, c.Message, `code_name "ops"`)
	assert.Contains(t, c.Message, v1alpha1.AdoptAnnotation)
	e.WaitEvent(jg, v1alpha1.ReasonNotOwned)
	a, err := e.API.GetJumpGroup(e.ctx, mine.ID)
	require.NoError(t, err)
	assert.Equal(t, "Made by hand", a.Name, "not touched")
	assert.Equal(t, mine.Version, a.Version)

	// Deleting the refused resource leaves the appliance object.
	e.Delete(jg)
	_, err = e.API.GetJumpGroup(e.ctx, mine.ID)
	require.NoError(t, err)

	// With the annotation it is taken over, labelled and managed.
	jg = jumpGroup("ops", "Operations")
	jg.Annotations = map[string]string{v1alpha1.AdoptAnnotation: "true"}
	e.Create(jg)
	assert.Equal(t, mine.ID, e.WaitReady(jg))
	e.WaitEvent(jg, "Adopted")
	a, err = e.API.GetJumpGroup(e.ctx, mine.ID)
	require.NoError(t, err)
	assert.Equal(t, "Operations", a.Name)
	assert.Equal(t, e.NS+".ops", a.Labels[v1alpha1.OwnerLabel])
}

// TestJumpGroup_OtherOwner: an object created by another resource (here: the
// same name in another namespace's operator) is not taken over either.
func TestJumpGroup_OtherOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.API.CreateJumpGroup(e.ctx, &api.JumpGroup{Name: "Theirs", CodeName: "ops", Labels: map[string]string{
		v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.OwnerLabel: "elsewhere.ops",
	}})
	require.NoError(t, err)
	jg := jumpGroup("ops", "Operations")
	e.Create(jg)
	c := e.WaitCondition(jg, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	assert.Contains(t, c.Message, `"elsewhere.ops"`)
}

// TestJumpGroup_WaitsForGroupPolicy: a membership naming a group policy that
// the appliance lacks waits, then proceeds once it exists.
func TestJumpGroup_WaitsForGroupPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jg := jumpGroup("ops", "Operations")
	jg.Spec.Memberships = []v1alpha1.JumpGroupMembership{{GroupPolicyName: "Admins", Role: "edit"}}
	e.Create(jg)
	c := e.WaitCondition(jg, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference)
	assert.Contains(t, c.Message, `group policy "Admins"`)

	gp, err := e.API.CreateGroupPolicy(e.ctx, &api.GroupPolicy{Name: "Admins"})
	require.NoError(t, err)
	id := e.WaitReady(jg)
	a, err := e.API.GetJumpGroup(e.ctx, id)
	require.NoError(t, err)
	require.Len(t, a.Memberships, 1)
	assert.Equal(t, gp.ID, a.Memberships[0].GroupPolicyID)
	assert.Equal(t, "edit", a.Memberships[0].Role)
}

// TestJumpGroup_ApplianceErrorBacksOff: a deletion the appliance refuses (the
// group still holds items) surfaces in the conditions, Events and the log,
// and is retried until it succeeds.
func TestJumpGroup_ApplianceErrorBacksOff(t *testing.T) {
	t.Parallel()
	log, logs := newLogCapture()
	e := newEnv(t, withLogger(log))
	jg := jumpGroup("ops", "Operations")
	e.Create(jg)
	id := e.WaitReady(jg)
	jp, err := e.API.CreateJumpoint(e.ctx, &api.Jumpoint{Name: "Site", CodeName: "site", ProtocolTunnelEnabled: true})
	require.NoError(t, err)
	ptj, err := e.API.CreateProtocolTunnelJump(e.ctx, &api.ProtocolTunnelJump{Name: "db", JumpointID: jp.ID, Hostname: "db.internal",
		TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 5432}}, JumpGroupID: id})
	require.NoError(t, err)

	require.NoError(t, k8s.Delete(e.ctx, jg))
	c := e.WaitCondition(jg, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeleting)
	assert.Contains(t, c.Message, "409")
	ev := e.WaitEvent(jg, v1alpha1.ReasonApplianceError)
	assert.Equal(t, "Warning", ev.Type)
	failed, ok := logs.find(func(l logEntry) bool { return l.level == -1 && l.kv["name"] == "ops" })
	require.True(t, ok, "no error line:\n%s", logs.text())
	assert.Equal(t, "delete", failed.kv["op"])
	assert.Equal(t, id, failed.kv["applianceID"])
	assert.Equal(t, 409, failed.kv["status"])

	require.NoError(t, e.API.DeleteProtocolTunnelJump(e.ctx, ptj.ID))
	e.Delete(jg)
	_, err = e.API.GetJumpGroup(e.ctx, id)
	assert.True(t, errors.Is(err, api.ErrNotFound))
	deleted, ok := logs.find(func(l logEntry) bool { return l.msg == controller.ActionDeleted && l.kv["name"] == "ops" })
	require.True(t, ok, "no %s line:\n%s", controller.ActionDeleted, logs.text())
	assert.Equal(t, 1, deleted.level)
	assert.Equal(t, id, deleted.kv["applianceID"])
}

// TestJumpGroup_OtherCluster: an operator without --cluster-name neither
// takes over nor deletes an object that another cluster's operator created
// for a resource of the same namespace and name.
func TestJumpGroup_OtherCluster(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	theirs, err := e.API.CreateJumpGroup(e.ctx, &api.JumpGroup{Name: "Theirs", CodeName: "ops", Labels: map[string]string{
		v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.OwnerLabel: v1alpha1.OwnerValue(e.NS, "ops"), v1alpha1.ClusterLabel: "b",
	}})
	require.NoError(t, err)
	jg := jumpGroup("ops", "Operations")
	e.Create(jg)
	c := e.WaitCondition(jg, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	assert.Contains(t, c.Message, `cluster "b"`)
	e.Delete(jg)
	a, err := e.API.GetJumpGroup(e.ctx, theirs.ID)
	require.NoError(t, err, "deleting our resource deleted the other cluster's object")
	assert.Equal(t, theirs.Version, a.Version, "the other cluster's object was written")
}

// TestJumpGroup_StatusIDNotTrusted: an applianceID in the status that names
// an object without the operator's labels (status edited, id reused) is
// neither written nor deleted.
func TestJumpGroup_StatusIDNotTrusted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jg := jumpGroup("web", "Web")
	e.Create(jg)
	mine := e.WaitReady(jg)
	other, err := e.API.CreateJumpGroup(e.ctx, &api.JumpGroup{Name: "Made by hand", CodeName: "other"})
	require.NoError(t, err)

	require.NoError(t, e.Get(jg))
	jg.Status.ApplianceID = other.ID
	require.NoError(t, k8s.Status().Update(e.ctx, jg))
	e.Update(jg, func() { jg.Annotations = map[string]string{"nudge": "1"} }) // reconcile now
	e.Eventually(func() error {
		if err := e.Get(jg); err != nil {
			return err
		}
		if jg.Status.ApplianceID != mine {
			return fmt.Errorf("applianceID %d, want %d", jg.Status.ApplianceID, mine)
		}
		return nil
	}, "the status to name our own object again")
	e.Delete(jg)
	a, err := e.API.GetJumpGroup(e.ctx, other.ID)
	require.NoError(t, err, "the object named by the edited status was deleted")
	assert.Equal(t, other.Version, a.Version, "the object named by the edited status was written")
	_, err = e.API.GetJumpGroup(e.ctx, mine)
	assert.ErrorIs(t, err, api.ErrNotFound)
}
