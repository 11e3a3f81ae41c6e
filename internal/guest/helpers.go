package guest

import "sort"

// Host helpers: library functions that the guest asks the host to compute, because they
// need tables or algorithms the guest should not carry (Unicode case mapping, regular
// expressions, printf formatting, float printing, JSON). Each is the Go standard
// library's own implementation (package stdlib), run on the host on values read out of
// the guest, deterministic, and charging the VM's fuel for its work as it does in the
// interpreter. They take their arguments from memory, as variadic routines do.
//
// The list, for the record of what crosses the boundary: see helperNames.
var helperNames = []string{
	"str", "pr-str", "subs", "string-length", "upper-case", "lower-case", "trim", "split",
	"join", "starts-with?", "ends-with?", "includes?", "replace", "re-find", "re-matches",
	"re-seq", "format", "parse-int", "parse-float", "name", "keyword", "symbol",
	"parse-json", "to-json", "error-message", "error-kind", "getMessage", "ex-data",
}

// HelperNames lists the host helpers by id.
var HelperNames []string

// HelperID is the id of a host helper.
func HelperID(name string) int {
	i := sort.SearchStrings(HelperNames, name)
	if i < len(HelperNames) && HelperNames[i] == name {
		return i
	}
	return -1
}

func init() {
	HelperNames = append([]string(nil), helperNames...)
	sort.Strings(HelperNames)
}

// IsHelper reports whether a library function runs as a host helper.
func IsHelper(name string) bool { return HelperID(name) >= 0 }
