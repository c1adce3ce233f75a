package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/jumpgate/jumpgate/agent/internal/enduser"
	"github.com/jumpgate/jumpgate/agent/internal/localctl"
	"github.com/jumpgate/jumpgate/agent/internal/prompt"
	"github.com/jumpgate/jumpgate/agent/internal/session"
	"github.com/jumpgate/jumpgate/agent/internal/state"
)

// endUser is a Jump Client's side for the person at the endpoint, run
// beside agent.Run over its session manager: the local control socket
// (`consent`, `sessions`) and the desktop prompts and notifications.
type endUser struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// start serves m to the end user of the agent installed in dir until
// stop. A control socket that cannot
// be made is logged: the agent runs on without it.
func (u *endUser) start(ctx context.Context, dir string, st *state.State, exe string, m *session.Manager, log *slog.Logger) {
	ctx, u.cancel = context.WithCancel(ctx)
	// Who may answer and control: the install's --end-users, else the
	// user at the machine's active seat.
	endUsers := enduser.Policy{Users: st.Install.EndUsers}
	srv, err := localctl.Listen(localctl.Config{Dir: dir, Manager: m, EndUsers: endUsers, Log: log})
	if err != nil {
		log.Warn("no local control socket: the end user cannot answer prompts or control sessions with `consent` and `sessions`", "err", err)
	} else {
		log.Info("local control socket ready", "path", srv.Path())
		u.wg.Go(func() {
			if err := srv.Serve(ctx); err != nil {
				log.Error("local control socket failed", "err", err)
			}
		})
	}
	p := prompt.New(prompt.Config{Headless: st.Install.Headless, EndUsers: endUsers, Command: exe, Log: log})
	u.wg.Go(func() { p.Run(ctx, m) })
}

// stop ends what start started and waits for it.
func (u *endUser) stop() {
	if u.cancel != nil {
		u.cancel()
	}
	u.wg.Wait()
}
