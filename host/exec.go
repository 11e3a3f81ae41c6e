package host

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/rtfsvm/rtfsvm/value"
)

// Exec serves a capability with a subprocess (the :exec provider of the contract): it
// runs command directly (no shell), writes the arguments as a JSON array to its standard
// input, and reads its result as JSON from its standard output. A non-zero exit or the
// timeout is a capability error carrying the child's standard error. The child sees only
// PATH, RTFSVM_RUN_ID, RTFSVM_CAPABILITY and RTFSVM_IDEMPOTENCY_KEY, and is killed with
// its whole process group when the call ends early.
func Exec(command []string, timeout time.Duration) Provider {
	return func(ctx context.Context, call Call) (value.Value, error) {
		fail := func(format string, args ...any) error { return CapabilityError(call.Capability, format, args...) }
		input, err := value.ToJSON(value.NewVector(call.Args))
		if err != nil {
			return nil, err
		}
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		cmd := exec.CommandContext(ctx, command[0], command[1:]...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"),
			"RTFSVM_RUN_ID=" + call.RunID,
			"RTFSVM_CAPABILITY=" + call.Capability,
			"RTFSVM_IDEMPOTENCY_KEY=" + call.IdempotencyKey,
		}
		cmd.Stdin = strings.NewReader(input)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &limited{w: &stderr, n: 64 << 10}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = time.Second
		err = cmd.Run()
		switch {
		case ctx.Err() == context.DeadlineExceeded:
			return nil, fail("%s timed out after %s", command[0], timeout)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return nil, fail("%s exited with status %d: %s", command[0], exit.ExitCode(), strings.TrimSpace(stderr.String()))
			}
			return nil, fail("%s: %v", command[0], err)
		}
		v, err := value.FromJSON(stdout.Bytes())
		if err != nil {
			return nil, fail("%s printed no JSON result: %v", command[0], err)
		}
		return v, nil
	}
}

// limited keeps the first n bytes written to it: a child's error output in a message.
type limited struct {
	w *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
