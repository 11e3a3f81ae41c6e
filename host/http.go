package host

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/rtfsvm/rtfsvm/value"
)

// MaxHTTPResponse bounds the body an :http capability may return.
const MaxHTTPResponse = 16 << 20

// HTTP serves a capability by POSTing {"capability", "args", "idempotency_key"} as JSON
// to url and taking the JSON response body as the result (the :http provider of the
// contract). A non-2xx status, the timeout or a body over MaxHTTPResponse is a capability
// error.
func HTTP(client *http.Client, url string, timeout time.Duration) Provider {
	return func(ctx context.Context, call Call) (value.Value, error) {
		fail := func(format string, args ...any) error { return CapabilityError(call.Capability, format, args...) }
		args, err := value.ToJSON(value.NewVector(call.Args))
		if err != nil {
			return nil, err
		}
		body, _ := json.Marshal(map[string]any{
			"capability":      call.Capability,
			"args":            json.RawMessage(args),
			"idempotency_key": call.IdempotencyKey,
		})
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, fail("%v", err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, fail("%v", err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, MaxHTTPResponse+1))
		switch {
		case err != nil:
			return nil, fail("reading the response: %v", err)
		case len(data) > MaxHTTPResponse:
			return nil, fail("the response is larger than %d bytes", MaxHTTPResponse)
		case resp.StatusCode/100 != 2:
			return nil, fail("%s answered %s: %s", url, resp.Status, bytes.TrimSpace(data[:min(len(data), 512)]))
		}
		v, err := value.FromJSON(data)
		if err != nil {
			return nil, fail("the response is not JSON: %v", err)
		}
		return v, nil
	}
}
