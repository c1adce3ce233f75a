package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/jumpgate/jumpgate/api"
)

// ecmaScript runs each pattern on each value in ECMA-262 (Node's RegExp
// with the u flag, as the console runs them) and returns, per pattern, the
// values it matched; a pattern that does not compile reports its error.
const ecmaScript = `
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(({pattern, values}) => {
  let re;
  try { re = new RegExp(pattern, 'u'); } catch (e) { return {error: String(e)}; }
  return {matches: values.map(v => re.test(v))};
});
process.stdout.write(JSON.stringify(out));
`

// nodeBinary finds Node, which hack/install-test-deps.sh installs.
func nodeBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("JUMPGATE_NODE"); p != "" {
		return p
	}
	p, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH (hack/install-test-deps.sh installs it; JUMPGATE_NODE names another): the patterns must be checked in ECMA-262 as the console runs them")
	}
	return p
}

type ecmaCase struct {
	Pattern string   `json:"pattern"`
	Values  []string `json:"values"`
}

type ecmaResult struct {
	Error   string `json:"error"`
	Matches []bool `json:"matches"`
}

func runECMA(t *testing.T, cases []ecmaCase) []ecmaResult {
	t.Helper()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nodeBinary(t), "-e", ecmaScript)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.String())
	}
	var res []ecmaResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	if len(res) != len(cases) {
		t.Fatalf("node answered %d results for %d patterns", len(res), len(cases))
	}
	return res
}

// TestPatterns_RE2AndECMA262Agree: every pattern of the API (the formats'
// and every pattern of the OpenAPI document, which the console takes)
// compiles in both engines and matches exactly the same of the shared
// examples, plus the edge cases of each engine's differences.
func TestPatterns_RE2AndECMA262Agree(t *testing.T) {
	ex := loadExamples(t)
	var all []string
	for _, e := range ex {
		all = append(all, e.Valid...)
		all = append(all, e.Invalid...)
	}
	// Where RE2 and ECMA-262 could differ: line terminators around $ and
	// ^, non-ASCII letters and digits (\w, \d, case folding), astral
	// characters, an empty value.
	all = append(all, "", "a\n", "\na", "a\r\n", "a\u2028", "ä", "K", "\u212a", "١٢:٣٠", "𝟘𝟘:00", "a\x00", "team:x\n", "00:00\n")
	patterns := map[string]bool{}
	for _, f := range api.Formats() {
		if f.Pattern != "" {
			patterns[f.Pattern] = true
		}
	}
	patterns[api.StartClockPattern] = true
	patterns[api.HostNamePattern] = true
	doc, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if p, ok := v["pattern"].(string); ok {
				patterns[p] = true
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	walk(root)
	if len(patterns) < 8 {
		t.Fatalf("only %d patterns found", len(patterns))
	}
	var cases []ecmaCase
	for p := range patterns {
		cases = append(cases, ecmaCase{Pattern: p, Values: all})
	}
	res := runECMA(t, cases)
	for i, c := range cases {
		re, err := regexp.Compile(c.Pattern)
		if err != nil {
			t.Errorf("%s does not compile in RE2: %v", c.Pattern, err)
			continue
		}
		if res[i].Error != "" {
			t.Errorf("%s does not compile in ECMA-262: %s", c.Pattern, res[i].Error)
			continue
		}
		for j, v := range c.Values {
			if got, want := res[i].Matches[j], re.MatchString(v); got != want {
				t.Errorf("%s on %q: ECMA-262 %v, RE2 %v", c.Pattern, v, got, want)
			}
		}
	}
	t.Logf("%d patterns agree on %d values", len(cases), len(all))
}

// TestPatterns_ECMACheckFails proves the comparison sees both kinds of
// difference: syntax only RE2 knows ((?i) does not compile in ECMA-262),
// and a pattern both compile but read differently (\s includes U+00A0 in
// ECMA-262, not in RE2).
func TestPatterns_ECMACheckFails(t *testing.T) {
	res := runECMA(t, []ecmaCase{{Pattern: `^(?i)ops$`, Values: []string{"OPS"}}, {Pattern: `^\s$`, Values: []string{"\u00a0"}}})
	if res[0].Error == "" {
		t.Errorf("(?i) compiled in ECMA-262: the agreement test would not see RE2-only syntax")
	}
	if res[1].Error != "" || len(res[1].Matches) != 1 || !res[1].Matches[0] || regexp.MustCompile(`^\s$`).MatchString("\u00a0") {
		t.Errorf("\\s on U+00A0 did not differ between the engines: %+v", res[1])
	}
}
