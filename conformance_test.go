package rtfsvm_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// engines lists every engine the conformance corpus runs on; the MicroVM runs it a
// second time with its garbage collector in stress mode.
var engines = []string{rtfsvm.EngineInterp, rtfsvm.EngineWasm, rtfsvm.EngineWasmGCStress}

// A conformanceCase is one .rtfs file of testdata/conformance with its expectation.
type conformanceCase struct {
	path, src string
	env       *value.Map
	want      string // the printed value, for a success
	wantErr   string // an error kind such as :error/type or :limit/stack, or "static"
}

func loadCorpus(t *testing.T) []conformanceCase {
	t.Helper()
	var cases []conformanceCase
	err := filepath.WalkDir("testdata/conformance", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rtfs") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		c := conformanceCase{path: path, src: string(data), env: value.EmptyMap}
		expectations := 0
		for _, line := range strings.Split(c.src, "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, ";; => "):
				c.want = strings.TrimPrefix(line, ";; => ")
				expectations++
			case strings.HasPrefix(line, ";; !! "):
				c.wantErr = strings.TrimSpace(strings.TrimPrefix(line, ";; !! "))
				expectations++
			case strings.HasPrefix(line, ";; env "):
				n, err := syntax.ReadOne(path, strings.TrimPrefix(line, ";; env "))
				if err != nil {
					t.Errorf("%s: bad env line: %v", path, err)
					continue
				}
				m, ok := syntax.Datum(n).(*value.Map)
				if !ok {
					t.Errorf("%s: env must be a map", path)
					continue
				}
				c.env = m
			}
		}
		if expectations != 1 {
			t.Errorf("%s: needs exactly one ;; => or ;; !! line, has %d", path, expectations)
			return nil
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// testHost is the host of the corpus: the built-ins plus test.fail.
func testHost() host.Host {
	h := host.NewLocal(nil)
	h.Register("test.fail", func(_ context.Context, args []value.Value) (value.Value, error) {
		msg := "failed"
		if len(args) > 0 {
			msg = value.Str(args[0])
		}
		return nil, value.Errorf(value.ErrCapability, "%s", msg)
	})
	return h
}

// outcome runs a case and describes what happened in the corpus's own terms.
func outcome(engine string, c conformanceCase) (printed, errKind string, err error) {
	prog, err := rtfsvm.Load(c.path, c.src)
	if err != nil {
		return "", "static", err
	}
	v, err := rtfsvm.Run(context.Background(), prog, rtfsvm.Options{Engine: engine, Env: c.env, Host: testHost()})
	return describeOutcome(v, err)
}

func TestConformance(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) == 0 {
		t.Fatal("the conformance corpus is empty")
	}
	for _, engine := range engines {
		for _, c := range cases {
			name := engine + "/" + strings.TrimSuffix(strings.TrimPrefix(c.path, "testdata/conformance/"), ".rtfs")
			t.Run(name, func(t *testing.T) {
				printed, kind, err := outcome(engine, c)
				switch {
				case c.wantErr != "" && kind != c.wantErr:
					t.Errorf("want error %s, got %s (value %q, err %v)", c.wantErr, orNone(kind), printed, err)
				case c.wantErr == "" && kind != "":
					t.Errorf("want %s, got error %s: %v", c.want, kind, err)
				case c.wantErr == "" && printed != c.want:
					t.Errorf("want %s\n got %s", c.want, printed)
				}
			})
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "no error"
	}
	return s
}

// The MicroVM's path resolves a plan with the prelude at once (PrepareSource), not as
// Load does: every plan must get the same static error, or none, either way.
func TestPrepareSourceReportsWhatLoadReports(t *testing.T) {
	for _, c := range loadCorpus(t) {
		_, loadErr := rtfsvm.Load(c.path, c.src)
		_, prepErr := rtfsvm.PrepareSource(context.Background(), c.path, c.src, rtfsvm.EngineWasm)
		if fmt.Sprint(loadErr) != fmt.Sprint(prepErr) {
			t.Errorf("%s: Load: %v\nPrepareSource: %v", c.path, loadErr, prepErr)
		}
	}
}
