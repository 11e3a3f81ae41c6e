package host

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/rtfsvm/rtfsvm/value"
)

// MessageVersion is the version of the RequiresHost message encoding.
const MessageVersion = 1

// Message is a host call as it is recorded and hashed: the request, the run it belongs
// to and its effective idempotency key, as an RTFS map. Its canonical bytes
// (value.Encode) are what the causal chain hashes; its JSON form is for tools.
func (r *Request) Message(runID string) *value.Map {
	step := make([]value.Value, len(r.StepPath))
	for i, s := range r.StepPath {
		step[i] = value.String(s)
	}
	m := value.EmptyMap.
		Assoc(value.Keyword("version"), value.Int(MessageVersion)).
		Assoc(value.Keyword("run"), value.String(runID)).
		Assoc(value.Keyword("capability"), value.String(r.Capability)).
		Assoc(value.Keyword("args"), value.NewVector(r.Args)).
		Assoc(value.Keyword("step"), value.NewVector(step)).
		Assoc(value.Keyword("seq"), value.Int(r.Seq)).
		Assoc(value.Keyword("idempotency-key"), value.String(IdempotencyKey(runID, r)))
	if r.Options != nil {
		m = m.Assoc(value.Keyword("options"), r.Options)
	}
	return m
}

// EncodeMessage is the canonical bytes of a request's message: value.Encode of
// Message, written field by field since every host call makes one (a test checks that
// the two agree).
func (r *Request) EncodeMessage(runID string) ([]byte, error) {
	return r.AppendMessage(make([]byte, 0, 96+2*len(runID)+len(r.Capability)+8*len(r.Args)), runID)
}

// AppendMessage appends the canonical bytes of the request's message to b.
func (r *Request) AppendMessage(b []byte, runID string) ([]byte, error) {
	n := 7
	if r.Options != nil {
		n++
	}
	b = value.EncodeMapHeader(b, n)
	b = value.EncodeVectorHeader(value.EncodeKeyword(b, "args"), len(r.Args))
	var err error
	for _, a := range r.Args {
		if b, err = value.Encode(b, a); err != nil {
			return nil, err
		}
	}
	b = value.EncodeString(value.EncodeKeyword(b, "capability"), r.Capability)
	b = r.appendKey(value.EncodeKeyword(b, "idempotency-key"), runID)
	if r.Options != nil {
		if b, err = value.Encode(value.EncodeKeyword(b, "options"), r.Options); err != nil {
			return nil, err
		}
	}
	b = value.EncodeString(value.EncodeKeyword(b, "run"), runID)
	b = value.EncodeInt(value.EncodeKeyword(b, "seq"), int64(r.Seq))
	b = value.EncodeVectorHeader(value.EncodeKeyword(b, "step"), len(r.StepPath))
	for _, s := range r.StepPath {
		b = value.EncodeString(b, s)
	}
	return value.EncodeInt(value.EncodeKeyword(b, "version"), MessageVersion), nil
}

// appendKey appends the encoding of IdempotencyKey(runID, r), without making the string
// when it is the run id and the sequence number.
func (r *Request) appendKey(b []byte, runID string) []byte {
	if r.Options != nil {
		return value.EncodeString(b, IdempotencyKey(runID, r))
	}
	var digits [20]byte
	seq := strconv.AppendInt(digits[:0], int64(r.Seq), 10)
	b = value.EncodeStringHeader(b, len(runID)+1+len(seq))
	return append(append(append(b, runID...), ':'), seq...)
}

// DecodeMessage reads a message's canonical bytes back into a request, its run id and
// idempotency key; anything but a well-formed message of this version is an error.
func DecodeMessage(data []byte) (req *Request, runID, key string, err error) {
	v, err := value.Decode(data)
	if err != nil {
		return nil, "", "", err
	}
	m, ok := v.(*value.Map)
	if !ok {
		return nil, "", "", errors.New("message: not a map")
	}
	bad := func(field string) error { return fmt.Errorf("message: bad or missing %s", field) }
	get := func(k string) value.Value { x, _ := m.Get(value.Keyword(k)); return x }
	if !value.Equal(get("version"), value.Int(MessageVersion)) {
		return nil, "", "", fmt.Errorf("message: version %s is not %d", value.Print(orNil(get("version"))), MessageVersion)
	}
	run, ok1 := get("run").(value.String)
	capability, ok2 := get("capability").(value.String)
	args, ok3 := get("args").(*value.Vector)
	step, ok4 := get("step").(*value.Vector)
	seq, ok5 := get("seq").(value.Int)
	k, ok6 := get("idempotency-key").(value.String)
	switch {
	case !ok1:
		return nil, "", "", bad("run")
	case !ok2:
		return nil, "", "", bad("capability")
	case !ok3:
		return nil, "", "", bad("args")
	case !ok4:
		return nil, "", "", bad("step")
	case !ok5 || seq < 1:
		return nil, "", "", bad("seq")
	case !ok6:
		return nil, "", "", bad("idempotency-key")
	}
	req = &Request{Capability: string(capability), Args: args.Slice(), Seq: int(seq)}
	for _, s := range step.Slice() {
		name, ok := s.(value.String)
		if !ok {
			return nil, "", "", bad("step")
		}
		req.StepPath = append(req.StepPath, string(name))
	}
	if o := get("options"); o != nil {
		if req.Options, ok = o.(*value.Map); !ok {
			return nil, "", "", bad("options")
		}
	}
	if m.Len() != 7+boolInt(req.Options != nil) {
		return nil, "", "", errors.New("message: unknown fields")
	}
	if string(k) != IdempotencyKey(string(run), req) {
		return nil, "", "", bad("idempotency-key")
	}
	return req, string(run), string(k), nil
}

func orNil(v value.Value) value.Value {
	if v == nil {
		return value.Nil
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
