package host

import (
	"bytes"
	"testing"

	"github.com/rtfsvm/rtfsvm/value"
)

func TestMessageRoundTrip(t *testing.T) {
	req := &Request{Capability: "files.append", Args: []value.Value{value.String("line"), value.Int(1)},
		StepPath: []string{"outer", "inner"}, Seq: 7,
		Options: value.EmptyMap.Assoc(value.Keyword("timeout-ms"), value.Int(5000))}
	b, err := req.EncodeMessage("run-1")
	if err != nil {
		t.Fatal(err)
	}
	back, run, key, err := DecodeMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if run != "run-1" || key != "run-1:7" || back.Capability != req.Capability || back.Seq != 7 ||
		!value.Equal(value.NewVector(back.Args), value.NewVector(req.Args)) || len(back.StepPath) != 2 {
		t.Fatalf("decoded %+v, %s, %s", back, run, key)
	}
	if whole, _ := value.Encode(nil, req.Message("run-1")); !bytes.Equal(b, whole) {
		t.Fatalf("EncodeMessage %x differs from the encoding of Message %x", b, whole)
	}
	plain := &Request{Capability: "c", Seq: 1}
	if p1, _ := plain.EncodeMessage("r"); !bytes.Equal(p1, must(value.Encode(nil, plain.Message("r")))) {
		t.Fatal("EncodeMessage of a request with no arguments, steps or options differs from Message's")
	}
	again, _ := back.EncodeMessage(run)
	if !bytes.Equal(b, again) {
		t.Fatal("the same message must give the same bytes")
	}
	json, err := value.ToJSON(req.Message("run-1"))
	if err != nil || json != `{"args":["line",1],"capability":"files.append","idempotency-key":"run-1:7","options":{"timeout-ms":5000},"run":"run-1","seq":7,"step":["outer","inner"],"version":1}` {
		t.Fatalf("JSON form %s, %v", json, err)
	}
}

// FuzzDecodeMessage: decoding never panics, and a message it accepts encodes back to the
// same bytes.
func FuzzDecodeMessage(f *testing.F) {
	req := &Request{Capability: "ccos.echo", Args: []value.Value{value.Nil}, Seq: 1}
	b, _ := req.EncodeMessage("r")
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		req, run, _, err := DecodeMessage(data)
		if err != nil {
			return
		}
		again, err := req.EncodeMessage(run)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("%x decoded to a message that encodes to %x", data, again)
		}
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
