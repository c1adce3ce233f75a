package appliance

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

// ErrNotAdmin is returned by a check whose token belongs to a user who is
// not an administrator: the operator manages configuration that only
// administrators may change.
var ErrNotAdmin = errors.New("the token is not an administrator's")

// Checker checks the connection to the appliance: GET /api/v1/whoami
// answers and names an administrator. Results are kept for TTL, so that
// probes of several kubelets and scrapes cost at most one request per TTL.
type Checker struct {
	// API is the client to check.
	API *api.Client
	// TTL is how long a result is reused; default 10 s.
	TTL time.Duration
	// Timeout bounds one check; default 5 s.
	Timeout time.Duration
	// Metrics, optional, gets jumpgate_operator_appliance_up.
	Metrics *Metrics

	mu  sync.Mutex
	at  time.Time
	err error
}

// Check returns nil when the appliance answers as an administrator's, or an
// error that says what is wrong: the appliance's answer (errors.Is
// api.ErrUnauthorized for a token it does not know), ErrNotAdmin, or the
// connection error.
func (c *Checker) Check(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	if !c.at.IsZero() && time.Since(c.at) < ttl {
		return c.err
	}
	c.err = c.check(ctx)
	c.at = time.Now()
	if c.Metrics != nil {
		up := 0.0
		if c.err == nil {
			up = 1
		}
		c.Metrics.Up.Set(up)
	}
	return c.err
}

func (c *Checker) check(ctx context.Context) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	me, err := c.API.WhoAmI(ctx)
	if err != nil {
		var p *api.Problem
		if errors.As(err, &p) {
			return fmt.Errorf("appliance %s answered %w", c.API.BaseURL(), err)
		}
		return fmt.Errorf("appliance %s: %w%s", c.API.BaseURL(), err, hint(err))
	}
	if !me.Admin {
		return fmt.Errorf("appliance %s: user %q: %w", c.API.BaseURL(), me.Username, ErrNotAdmin)
	}
	return nil
}

// hint says what to do about a TLS error, or nothing.
func hint(err error) string {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	switch {
	case errors.As(err, &ua):
		return " (the appliance's certificate is not trusted: give the CA that signed it, <data-dir>/ca.pem of an appliance that made its own, with --ca-cert or JUMPGATE_CA_CERT; in the cluster, the Secret jumpgate-appliance-ca)"
	case errors.As(err, &hn):
		return " (the appliance's certificate is not for this host name: use the host name of the appliance's --public-url)"
	}
	return ""
}

// Healthz is Check as a controller-runtime health check (healthz.Checker),
// for the readiness probe.
func (c *Checker) Healthz(req *http.Request) error { return c.Check(req.Context()) }

// Fatal reports whether err of Check will not go away by waiting: the
// appliance refused the token, or it is not an administrator's.
func Fatal(err error) bool {
	return errors.Is(err, api.ErrUnauthorized) || errors.Is(err, api.ErrForbidden) || errors.Is(err, ErrNotAdmin)
}
