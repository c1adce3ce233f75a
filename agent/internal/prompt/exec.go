package prompt

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"time"
)

// waitDelay bounds waiting for a killed program's output to close.
const waitDelay = 2 * time.Second

// maxOutput bounds what is kept of a program's standard output.
const maxOutput = 4096

// runProgram runs argv until it exits or ctx ends (it is then killed) and
// returns its exit status (-1 when killed) and, when capture is set, the
// start of its standard output. err is set only when it could not run.
func runProgram(ctx context.Context, argv []string, capture bool) (int, string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	inGroup(cmd)
	cmd.WaitDelay = waitDelay
	var out limitedBuffer
	if capture {
		cmd.Stdout = &out
	}
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.b.String(), nil
	}
	if err != nil {
		return -1, "", err
	}
	return 0, out.b.String(), nil
}

// limitedBuffer keeps the first maxOutput bytes written to it.
type limitedBuffer struct{ b bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if n := maxOutput - l.b.Len(); n > 0 {
		l.b.Write(p[:min(n, len(p))])
	}
	return len(p), nil
}
