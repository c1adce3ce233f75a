package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

// webhookTimeout bounds one webhook call.
const webhookTimeout = 10 * time.Second

// TicketCheck is the body the appliance POSTs to a Jump Policy's
// ticket_id_webhook_url. The webhook answers 2xx to accept the ticket
// (optionally with {"valid": false, "message": "…"} to refuse it), or 4xx
// to refuse it (the body's "message", or its text, is shown to the user).
// Any other answer, or none, refuses the session: the check fails closed.
type TicketCheck struct {
	TicketID   string `json:"ticket_id"`
	Username   string `json:"username"`
	UserID     int64  `json:"user_id"`
	ItemType   string `json:"item_type"`
	ItemID     int64  `json:"item_id"`
	ItemName   string `json:"item_name"`
	JumpPolicy string `json:"jump_policy"`
}

// Notification is the body of a session start or end notification.
type Notification struct {
	// Event is session.started or session.ended.
	Event   string       `json:"event"`
	Time    time.Time    `json:"time"`
	Session *api.Session `json:"session"`
}

var errTicketRejected = errors.New("ticket rejected")

// checkTicket asks url about a ticket. It returns nil when the ticket is
// accepted, an error wrapping errTicketRejected when refused, and any other
// error when the webhook could not be asked.
func (b *Broker) checkTicket(ctx context.Context, url string, tc *TicketCheck) error {
	body, _ := json.Marshal(tc)
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "jumpgate-appliance/"+api.Version)
	resp, err := b.hc.Do(req)
	if err != nil {
		return fmt.Errorf("the ticket webhook could not be reached: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var ans struct {
		Valid   *bool  `json:"valid"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &ans)
	msg := strings.TrimSpace(ans.Message)
	if msg == "" && ans.Valid == nil {
		msg = strings.TrimSpace(string(raw))
	}
	if len(msg) > 300 {
		msg = msg[:300]
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if ans.Valid != nil && !*ans.Valid {
			return fmt.Errorf("%w: %s", errTicketRejected, orText(msg, "the ticket system says the ticket is not valid"))
		}
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return fmt.Errorf("%w: %s", errTicketRejected, orText(msg, "the ticket system answered "+resp.Status))
	}
	return fmt.Errorf("the ticket webhook answered %s", resp.Status)
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// notify POSTs a session notification to url in the background, retrying
// a few times; failures are logged, never shown to the representative.
func (b *Broker) notify(url, event string, s *api.Session) {
	if url == "" {
		return
	}
	body, _ := json.Marshal(Notification{Event: event, Time: b.now().UTC(), Session: s})
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		delay := time.Second
		for attempt := 1; attempt <= 3; attempt++ {
			ctx, cancel := context.WithTimeout(b.ctx, webhookTimeout)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "jumpgate-appliance/"+api.Version)
				var resp *http.Response
				resp, err = b.hc.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
					resp.Body.Close()
					if resp.StatusCode < 300 {
						cancel()
						return
					}
					err = fmt.Errorf("answered %s", resp.Status)
				}
			}
			cancel()
			b.log.Warn("session notification webhook failed", "event", event, "session", s.ID, "attempt", attempt, "err", err)
			select {
			case <-b.ctx.Done():
				return
			case <-time.After(delay):
			}
			delay *= 4
		}
	}()
}
