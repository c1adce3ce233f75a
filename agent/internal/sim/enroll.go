package sim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// Enroll enrolls one simulated agent with a fresh key, the way
// jumpgate-agent does (POST /agent/v1/enroll), through hc, which must trust
// the appliance at url. hostID makes the agent a distinct host.
func Enroll(ctx context.Context, hc *http.Client, url, keyInfo, hostID string) (Identity, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Seed: priv.Seed(), HostID: hostID}
	body, err := json.Marshal(agentproto.EnrollRequest{KeyInfo: keyInfo, PublicKey: pub, Facts: facts(id), Version: api.Version})
	if err != nil {
		return Identity{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+agentproto.PathEnroll, bytes.NewReader(body))
	if err != nil {
		return Identity{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Identity{}, fmt.Errorf("enroll %s: %w", hostID, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Identity{}, fmt.Errorf("enroll %s: %w", hostID, err)
	}
	if resp.StatusCode != http.StatusCreated {
		return Identity{}, fmt.Errorf("enroll %s: %s: %s", hostID, resp.Status, bytes.TrimSpace(b))
	}
	var out agentproto.EnrollResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return Identity{}, fmt.Errorf("enroll %s: answer: %w", hostID, err)
	}
	if out.Kind != agentproto.KindJumpClient || out.ID == 0 {
		return Identity{}, fmt.Errorf("enroll %s: answered kind %q id %d, want a jump client", hostID, out.Kind, out.ID)
	}
	id.ID = out.ID
	return id, nil
}
