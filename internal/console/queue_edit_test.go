package console

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestAPayloadTypedInTheConsoleIsCheckedAsTheAPIWould(t *testing.T) {
	atLimit := `{"note":"` + strings.Repeat("a", 64<<10-len(`{"note":""}`)) + `"}`
	tests := []struct {
		name        string
		typed       string
		want        string
		wantProblem string
		wantValues  map[string]any
	}{
		{name: "an object, indented as the form shows it, is sent compact", typed: "{\n  \"cpr\": \"0101701234\",\n  \"letters\": [1, 2]\n}",
			want: `{"cpr":"0101701234","letters":[1,2]}`},
		{name: "a browser's line ends and a byte-order mark", typed: "\ufeff{\r\n  \"cpr\": \"0101701234\"\r\n}\r\n", want: `{"cpr":"0101701234"}`},
		{name: "exactly 64 KiB", typed: atLimit, want: atLimit},
		{name: "one byte more than 64 KiB", typed: `{"note":"a` + atLimit[len(`{"note":"`):],
			wantProblem: "item.payloadTooLarge", wantValues: map[string]any{"KiB": 65, "MaxKiB": 64}},
		{name: "indentation does not count against the limit", typed: "{\n" + strings.Repeat(" ", 70<<10) + `"cpr":"0101701234"}`,
			want: `{"cpr":"0101701234"}`},
		{name: "nothing", typed: "  \n", wantProblem: "item.payloadNotJSON"},
		{name: "a missing comma, told by line and character", typed: "{\n  \"cpr\": \"0101701234\"\n  \"name\": \"Anne\"\n}",
			wantProblem: "item.payloadNotJSONAt", wantValues: map[string]any{"Line": 3, "Column": 3}},
		{name: "cut short", typed: `{"cpr": "0101`, wantProblem: "item.payloadNotJSONAt", wantValues: map[string]any{"Line": 1, "Column": 13}},
		{name: "a list", typed: `[{"cpr":"0101701234"}]`, wantProblem: "item.payloadNotObject"},
		{name: "a string", typed: `"0101701234"`, wantProblem: "item.payloadNotObject"},
		{name: "null", typed: `null`, wantProblem: "item.payloadNotObject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, problem, values := checkPayload(tt.typed)
			g.Expect(problem).To(Equal(tt.wantProblem), "problem")
			g.Expect(values).To(Equal(tt.wantValues), "the problem's values")
			g.Expect(string(got)).To(Equal(tt.want), "the payload sent")
		})
	}
}

func TestLineAndColumnCountCharactersNotBytes(t *testing.T) {
	for _, tt := range []struct {
		text         string
		offset       int64
		line, column int
	}{
		{text: `{"a": x}`, offset: 7, line: 1, column: 7},
		{text: "{\r\n\"æøå\": x}", offset: 14, line: 2, column: 8},
		{text: "{", offset: 99, line: 1, column: 1},
	} {
		if line, column := lineAndColumn(tt.text, tt.offset); line != tt.line || column != tt.column {
			t.Errorf("lineAndColumn(%q, %d) = %d, %d; want %d, %d", tt.text, tt.offset, line, column, tt.line, tt.column)
		}
	}
}

func TestAnItemsPayloadIsShownIndented(t *testing.T) {
	if got, want := indentedPayload([]byte(`{"cpr":"0101701234","letters":[1]}`)), "{\n  \"cpr\": \"0101701234\",\n  \"letters\": [\n    1\n  ]\n}"; got != want {
		t.Errorf("indentedPayload = %q, want %q", got, want)
	}
	if got := indentedPayload([]byte(`not json`)); got != "not json" {
		t.Errorf("indentedPayload kept %q", got)
	}
}

func TestItemIDsAreTheAPIsNames(t *testing.T) {
	for _, name := range []string{"1", "12", "9223372036854775807"} {
		if got, ok := itemID(name); !ok || got != name {
			t.Errorf("itemID(%q) = %q, %v; want it as it is", name, got, ok)
		}
	}
	for _, bad := range []string{"", "0", "-1", "+1", "012", " 12", "twelve", "12/handle", "1e3", "99999999999999999999"} {
		if got, ok := itemID(bad); ok {
			t.Errorf("itemID(%q) = %q, accepted", bad, got)
		}
	}
}
