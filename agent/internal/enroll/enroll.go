// Package enroll registers a newly installed agent with the appliance: it
// sends the installer's key info, the agent's public key, the install's
// overrides and the host's facts, and gets back the agent's identity and
// configuration (POST /agent/v1/enroll of agentproto).
package enroll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// ErrUnreachable matches (errors.Is) a failure to get any answer from the
// appliance; it is conn.ErrUnreachable, so one check covers enrollment and
// connections.
var ErrUnreachable = conn.ErrUnreachable

// maxResponse bounds the bytes read from the appliance's answer.
const maxResponse = 1 << 20

// Enroll posts req to the appliance d reaches and returns its answer. When
// the appliance refuses, the error wraps the *api.Problem it sent (use
// errors.As to read its Detail); when it cannot be reached at all the error
// matches ErrUnreachable.
func Enroll(ctx context.Context, d *conn.Dialer, req agentproto.EnrollRequest) (*agentproto.EnrollResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode enrollment: %w", err)
	}
	u := strings.TrimSuffix(d.URL, "/") + agentproto.PathEnroll
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json, application/problem+json")
	if d.UserAgent != "" {
		hreq.Header.Set("User-Agent", d.UserAgent)
	}
	resp, err := d.HTTPClient().Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w at %s: %w", ErrUnreachable, d.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("read enrollment answer from %s: %w", d.URL, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("the appliance refused the enrollment: %w", problem(resp, b))
	}
	var out agentproto.EnrollResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode enrollment answer: %w", err)
	}
	if out.ID == 0 {
		return nil, errors.New("the appliance's enrollment answer carries no id")
	}
	return &out, nil
}

// problem decodes a problem+json answer, or makes one from the status and
// body when the answer is something else (a proxy's error page, say).
func problem(resp *http.Response, b []byte) *api.Problem {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		var p api.Problem
		if err := json.Unmarshal(b, &p); err == nil && (p.Title != "" || p.Detail != "") {
			if p.Status == 0 {
				p.Status = resp.StatusCode
			}
			return &p
		}
	}
	p := &api.Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	if t := strings.TrimSpace(string(b)); t != "" && len(t) <= 512 && !strings.ContainsAny(t, "<>") {
		p.Detail = t
	}
	return p
}

// Refusal returns the appliance's answer when err is the appliance refusing
// this enrollment: an answer with a 4xx status other than 408 and 429
// (409: the host already has a client or node this install may not take
// over; 403: the installer expired, was deleted or re-keyed, or no longer
// allows an override). Retrying soon does not change such an answer; an
// administrator does.
func Refusal(err error) (*api.Problem, bool) {
	var p *api.Problem
	if !errors.As(err, &p) || Transient(err) || p.Status < 400 || p.Status > 499 {
		return nil, false
	}
	return p, true
}

// Reason words err for the user: the appliance's own message (its detail,
// else its title, then any field errors) when it answered, else the error.
func Reason(err error) string {
	var p *api.Problem
	if !errors.As(err, &p) {
		return err.Error()
	}
	msg := p.Detail
	if msg == "" {
		msg = strings.ToLower(p.Title)
	}
	if msg == "" {
		msg = strings.ToLower(http.StatusText(p.Status))
	}
	for _, fe := range p.Errors {
		msg += "; " + fe.Field + ": " + fe.Detail
	}
	return msg
}

// Transient reports whether err is worth retrying soon: the appliance was
// unreachable, overloaded or failing (408, 429, 5xx) rather than refusing
// this enrollment.
func Transient(err error) bool {
	if errors.Is(err, ErrUnreachable) {
		return true
	}
	var p *api.Problem
	if errors.As(err, &p) {
		return p.Status == http.StatusRequestTimeout || p.Status == http.StatusTooManyRequests || p.Status >= 500
	}
	return true
}
