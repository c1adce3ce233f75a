package install

import (
	"fmt"
	"net/http"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// EnrollmentStatus is the enrollment line of `init-script status` for the
// install st: whether its agent is enrolled, and if not, why (its last
// failed attempt, state.EnrollFailure) and what it does next. now words
// attempts that are due.
func EnrollmentStatus(st *state.State, now time.Time) (line string, enrolled bool) {
	what := "jump client"
	if st.Kind == agentproto.KindJumpoint {
		what = "jumpoint node"
	}
	if st.Enrolled() {
		return fmt.Sprintf("enrolled: %s %d (%q) of %s", what, st.ID, st.Name, st.URL), true
	}
	until := ""
	if !st.KeyExpires.IsZero() {
		until = fmt.Sprintf("; it uninstalls itself if not enrolled by %s, when the installer's key info expires", st.KeyExpires.UTC().Format(time.RFC3339))
	}
	f := st.EnrollFailure
	if f == nil {
		return fmt.Sprintf("not enrolled yet: the agent enrolls with %s when it runs%s", st.URL, until), false
	}
	next := "it tries again when it starts"
	switch {
	case !f.NextAttempt.IsZero() && f.NextAttempt.After(now):
		next = "next attempt at " + f.NextAttempt.UTC().Format(time.RFC3339)
	case !f.NextAttempt.IsZero():
		next = "it tries again now if it runs"
	}
	if f.Refused {
		return fmt.Sprintf("not enrolled: the appliance refused the enrollment at %s (%d %s): %s; %s (restart the agent to try now)%s",
			f.At.UTC().Format(time.RFC3339), f.Status, http.StatusText(f.Status), f.Reason, next, until), false
	}
	return fmt.Sprintf("not enrolled: the last attempt, at %s, failed: %s; %s%s",
		f.At.UTC().Format(time.RFC3339), f.Reason, next, until), false
}
