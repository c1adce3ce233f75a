package jumpoint

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/agentid"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// removedReason is why a removed node's key was retired; the agent is told
// it when it presents that key again.
const removedReason = "removed from the jumpoint"

// Nodes lists and removes the enrolled nodes of jumpoints. Every node
// counts against its jumpoint's limit, connected or not, so removing the
// nodes that will not come back (replaced machines, replaced containers) is
// how an administrator makes room for new ones.
type Nodes struct {
	DB *db.DB
	// Retire, when set, is told the ids of removed nodes and why, after the
	// removal is committed, to cut their connections.
	Retire func(nodeIDs []int64, reason string)
}

// Routes returns the routes of a jumpoint's nodes:
//
//	GET    /api/v1/jumpoints/:id/nodes            every enrolled node
//	DELETE /api/v1/jumpoints/:id/nodes/:node_id   remove one (204)
//
// Both are for administrators only, like the jumpoint itself.
func (n *Nodes) Routes() []route.Route {
	base := "/api/v1/" + api.PathJumpoints + "/:id/nodes"
	return []route.Route{
		{
			Method: http.MethodGet, Path: base, Handler: route.Handle(n.handleList), Tag: api.PathJumpoints,
			Response: api.List[api.JumpointNodeInfo]{}, AdminOnly: true,
			Summary: "List every enrolled node of a Jumpoint, connected or not, in id order, in one page " +
				"(the Jumpoint's nodes field holds the same)",
		},
		{
			Method: http.MethodDelete, Path: base + "/:node_id", Handler: route.Handle(n.handleRemove), Tag: api.PathJumpoints,
			Status: http.StatusNoContent, AdminOnly: true, Unversioned: true,
			Summary: "Remove an enrolled node from a Jumpoint, so that it no longer counts against the node limit; " +
				"its key stops working, and a node connected now is disconnected and uninstalls itself; " +
				"404 when the Jumpoint has no such node",
		},
	}
}

// List returns every enrolled node of jumpoint jumpointID, in id order.
func (n *Nodes) List(ctx context.Context, jumpointID int64) ([]api.JumpointNodeInfo, error) {
	if err := requireAdmin(ctx, "read"); err != nil {
		return nil, err
	}
	out := []api.JumpointNodeInfo{}
	err := n.DB.R.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := takeJumpoint(tx, jumpointID); err != nil {
			return err
		}
		var nodes []Node
		if err := tx.Where("jumpoint_id = ?", jumpointID).Order("id").Find(&nodes).Error; err != nil {
			return fmt.Errorf("load jumpoint nodes: %w", err)
		}
		for i := range nodes {
			out = append(out, nodeInfo(&nodes[i]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Remove deletes node nodeID of jumpoint jumpointID and retires its key,
// with an audit event (remove_node) in the same transaction; then it has
// a connection of the node cut. A node of another jumpoint is not found.
func (n *Nodes) Remove(ctx context.Context, jumpointID, nodeID int64) error {
	if err := requireAdmin(ctx, "change"); err != nil {
		return err
	}
	err := n.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		j, err := takeJumpoint(tx, jumpointID)
		if err != nil {
			return err
		}
		missing := problem.NotFound("jumpoint %q has no node %d", j.CodeName, nodeID)
		var node Node
		err = tx.Where("id = ? AND jumpoint_id = ?", nodeID, j.ID).Take(&node).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return missing
		}
		if err != nil {
			return fmt.Errorf("read jumpoint node: %w", err)
		}
		// The delete decides between concurrent removals of one node: the
		// one that deleted nothing answers 404 and writes nothing.
		res := tx.Where("id = ? AND jumpoint_id = ?", node.ID, j.ID).Delete(&Node{})
		if res.Error != nil {
			return fmt.Errorf("delete jumpoint node: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return missing
		}
		if err := agentid.Bury(ctx, tx, agentproto.KindJumpoint, node.ID, node.PublicKey, removedReason); err != nil {
			return err
		}
		return audit.Write(ctx, tx, "remove_node", "jumpoint", j.ID, j.CodeName, map[string]api.FieldChange{
			"node": {Old: map[string]any{"id": node.ID, "hostname": node.Hostname, "host_id": node.HostID}},
		})
	})
	if err != nil {
		return err
	}
	if n.Retire != nil {
		n.Retire([]int64{nodeID}, "the node was removed from the jumpoint on the appliance")
	}
	return nil
}

func (n *Nodes) handleList(c *gin.Context) error {
	// Refuse non-administrators before looking at the path.
	if err := requireAdmin(c.Request.Context(), "read"); err != nil {
		return err
	}
	id, err := resource.ParseID(c)
	if err != nil {
		return err
	}
	out, err := n.List(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, api.List[api.JumpointNodeInfo]{Items: out})
	return nil
}

func (n *Nodes) handleRemove(c *gin.Context) error {
	if err := requireAdmin(c.Request.Context(), "change"); err != nil {
		return err
	}
	id, err := resource.ParseID(c)
	if err != nil {
		return err
	}
	nodeID, err := strconv.ParseInt(c.Param("node_id"), 10, 64)
	if err != nil || nodeID < 1 {
		return problem.NotFound("%q is not a node id", c.Param("node_id"))
	}
	if err := n.Remove(c.Request.Context(), id, nodeID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// requireAdmin refuses callers who are not administrators, as the
// jumpoints collection does (verb is read or change).
func requireAdmin(ctx context.Context, verb string) error {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	if !p.Admin {
		return problem.Forbidden("only administrators may %s %s", verb, api.PathJumpoints)
	}
	return nil
}

func takeJumpoint(tx *gorm.DB, id int64) (*Record, error) {
	var j Record
	err := tx.Take(&j, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("jumpoint %d does not exist", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read jumpoint: %w", err)
	}
	return &j, nil
}
