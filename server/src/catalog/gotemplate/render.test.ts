import { describe, expect, test } from "bun:test";
import { renderTemplate, TemplateError } from "./index.ts";

const data = {
  Values: { ENABLE: "true", NAME: "web", LIST: "a,b,c", EMPTY: "", PORT: "8080" },
  Stack: { Name: "mystack", Version: "v2" },
  n: 3,
  f: 1.5,
  yes: true,
  nil: null,
  arr: ["x", "y"],
  nums: [1, 2, 3],
  m: { b: 2, a: 1 },
  nested: { inner: { deep: "d" } },
  emptyArr: [],
  emptyMap: {},
};

// Outputs Go's text/template produces for the same template and data.
const cases: [string, string, unknown?][] = [
  ["{{ .Values.NAME }}", "web"],
  ["{{ .Stack.Name }}-{{ .Stack.Version }}", "mystack-v2"],
  ["{{ .nested.inner.deep }}", "d"],
  ["{{ 3 }}", "3"],
  ["{{ -3 }} {{ +4 }}", "-3 4"],
  ["{{ 1.5 }} {{ 0.00001 }}", "1.5 1e-05"],
  ["{{ 0x1F }} {{ 010 }} {{ 1_000 }} {{ 'a' }}", "31 8 1000 97"],
  ["{{ true }} {{ false }} {{ .yes }}", "true false true"],
  ['{{ "a\\tb\\u00e9" }}', "a\tb\u00e9"],
  ["{{ `raw\\n` }}", "raw\\n"],
  ["{{ .Values.Missing }}", "<no value>"],
  ["{{ .Missing.Deeper.Still }}", "<no value>"],
  ["{{ .nil }}", "<no value>"],
  ["{{ .m }}", "map[a:1 b:2]"],
  ["{{ .arr }} {{ .nums }}", "[x y] [1 2 3]"],
  ["{{ .emptyMap }} {{ .emptyArr }}", "map[] []"],
  ["{{ . | len }}", "12"],
  // trimming
  ["a  {{- 1 -}}  b", "a1b"],
  ["a \n\t{{- 1 }} \n b", "a1 \n b"],
  ["a {{ 1 -}}\n\n  b", "a 1b"],
  ["{{ -1 }}", "-1"],
  ["x {{- /* comment */ -}} y", "xy"],
  ["x {{/* comment\nspanning */}} y", "x  y"],
  // if / else if / else
  ['{{ if eq .Values.ENABLE "true" }}on{{ else }}off{{ end }}', "on"],
  [
    '{{ if eq .Values.ENABLE "false" }}1{{ else if .Values.EMPTY }}2{{ else if .n }}3{{ else }}4{{ end }}',
    "3",
  ],
  ["{{ if .Values.EMPTY }}t{{ else }}f{{ end }}", "f"],
  [
    "{{ if .emptyArr }}t{{ else }}f{{ end }}{{ if .emptyMap }}t{{ else }}f{{ end }}{{ if .nil }}t{{ else }}f{{ end }}",
    "fff",
  ],
  ["{{ if 0 }}t{{ else }}f{{ end }}{{ if .Values.Missing }}t{{ else }}f{{ end }}", "ff"],
  ['{{ if and .yes (ne .Values.NAME "db") }}ok{{ end }}', "ok"],
  ['{{ and 1 0 "x" }} {{ or 0 "" "z" }} {{ or 0 "" }} {{ and 1 2 }}', "0 z  2"],
  ["{{ not .yes }} {{ not .Values.EMPTY }}", "false true"],
  ["{{ if or .yes (index .Missing 1) }}short-circuit{{ end }}", "short-circuit"],
  // range
  ["{{ range .arr }}[{{ . }}]{{ end }}", "[x][y]"],
  ["{{ range $i, $v := .arr }}{{ $i }}={{ $v }};{{ end }}", "0=x;1=y;"],
  ["{{ range $v := .arr }}{{ $v }}{{ end }}", "xy"],
  ["{{ range $k, $v := .m }}{{ $k }}:{{ $v }} {{ end }}", "a:1 b:2 "],
  ["{{ range .emptyArr }}x{{ else }}none{{ end }}", "none"],
  ["{{ range .Values.Missing }}x{{ else }}none{{ end }}", "none"],
  ["{{ range 3 }}{{ . }}{{ end }}", "012"],
  [
    "{{ range .nums }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}",
    "1",
  ],
  ['{{ range $i, $p := split "," .Values.LIST }}{{ $i }}={{ $p }} {{ end }}', "_0=a _1=b _2=c "],
  ['{{ range splitList "," .Values.LIST }}<{{ . }}>{{ end }}', "<a><b><c>"],
  ["{{ range $i, $v := .arr }}{{ $.Values.NAME }}{{ end }}", "webweb"],
  // with
  ["{{ with .nested.inner }}{{ .deep }}{{ end }}", "d"],
  ["{{ with .Values.EMPTY }}x{{ else }}empty{{ end }}", "empty"],
  ["{{ with $x := .Values.NAME }}{{ $x }}{{ . }}{{ end }}", "webweb"],
  // variables
  ['{{ $x := "a" }}{{ $x }}{{ $x = "b" }}{{ $x }}', "ab"],
  ["{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"],
  ["{{ $ := 1 }}{{ $ }}", "1"],
  ["{{ $.Values.NAME }}", "web"],
  // pipelines and parens
  ['{{ .Values.NAME | upper }} {{ "x" | printf "%s-%s" "y" }}', "WEB y-x"],
  ['{{ (index .arr 1) }} {{ (.nested.inner).deep }} {{ len (print "ab" "c") }}', "y d 3"],
  ['{{ index .m "a" }} {{ index .nums 2 }} {{ index .Values "Missing" }}', "1 3 <no value>"],
  // print family
  ['{{ print "a" 1 2 "b" }}|{{ println 1 "a" }}|{{ print nil }}', "a1 2b|1 a\n|<nil>"],
  [
    '{{ printf "%s %d %v %q %t %5.2f|%-4s|%04d %x %%" "s" 42 .m "q\\"" true 3.14159 "ab" 7 255 }}',
    's 42 map[a:1 b:2] "q\\"" true  3.14|ab  |0007 ff %',
  ],
  [
    '{{ printf "%d" "x" }} {{ printf "%s" }} {{ printf "a" 1 }}',
    "%!d(string=x) %!s(MISSING) a%!(EXTRA int=1)",
  ],
  ['{{ html "<a href=\'x\'>&\\"" }}', "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"],
  ['{{ js "it\'s <b>\\"x\\"</b>" }}', 'it\\\'s \\u003Cb\\u003E\\"x\\"\\u003C/b\\u003E'],
  ['{{ urlquery "a b&c=d/é" }}', "a+b%26c%3Dd%2F%C3%A9"],
  // comparisons
  [
    '{{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1 2 }}',
    "true true true true true true false",
  ],
  ['{{ eq .Values.Missing "x" }}', "false"],
  // sprig
  [
    '{{ default "d" .Values.EMPTY }} {{ default "d" .Values.NAME }} {{ .Values.Missing | default "m" }}',
    "d web m",
  ],
  ['{{ quote .Values.NAME "a\\"b" }} {{ squote .n }}', '"web" "a\\"b" \'3\''],
  [
    '{{ upper "ab" }} {{ lower "AB" }} {{ title "hello wide-world_x" }} {{ trim "  x \\n" }}',
    "AB ab Hello Wide-World_x x",
  ],
  [
    '{{ trimPrefix "v" "v1.2" }} {{ trimSuffix ".yml" "a.yml" }} {{ replace "." "-" "a.b.c" }}',
    "1.2 a a-b-c",
  ],
  ['{{ contains "el" "hello" }} {{ hasPrefix "he" "hello" }} {{ hasSuffix "x" "hello" }}', "true true false"],
  ['{{ splitList "," "a,b" | join "+" }} {{ join "," .nums }}', "a+b 1,2,3"],
  [
    '{{ atoi "42" }} {{ atoi "4x" }} {{ int "0x10" }} {{ int 3.9 }} {{ toString 5 }}{{ toString "s" }}',
    "42 0 16 3 5s",
  ],
  [
    '{{ empty "" }} {{ empty .m }} {{ empty .Values.Missing }} {{ ternary "y" "n" true }} {{ false | ternary "y" "n" }}',
    "true false true y n",
  ],
  [
    '{{ repeat 3 "ab" }} {{ b64enc "hi there" }} {{ b64dec "aGkgdGhlcmU=" }} {{ b64dec "!!" }}',
    "ababab aGkgdGhlcmU= hi there illegal base64 data at input byte 0",
  ],
  ['{{ indent 2 "a\\nb" }}|{{ nindent 4 "c" }}', "  a\n  b|\n    c"],
  [
    '{{ add 1 2 "3" }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 2 }} {{ min 4 2 }} {{ add1 1 }}',
    "6 3 6 3 1 5 2 2",
  ],
  [
    '{{ $d := dict "a" 1 "b" "x" }}{{ $d.b }} {{ list 1 "a" }} {{ splitPreserveQuotes "a \\"b c\\" d" }}',
    'x [1 a] [a "b c" d]',
  ],
  // define / template
  [
    '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" .Values.NAME }}{{ template "x" }}',
    "[web][<no value>]",
  ],
  ['{{ block "b" .n }}<{{ . }}>{{ end }}', "<3>"],
];

describe("renderTemplate: Go text/template behaviour", () => {
  for (const [tpl, want, d] of cases)
    test(tpl, () => {
      expect(renderTemplate("t", tpl, d ?? data)).toBe(want);
    });

  test("random and uuid functions have the right shape", () => {
    expect(renderTemplate("t", "{{ randAlphaNum 16 }}", {})).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(renderTemplate("t", "{{ uuidv4 }}", {})).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

// [template, expected message after "t:"]
const errors: [string, string][] = [
  ["a\n  {{ nosuch .X }}", '2:6: function "nosuch" not defined'],
  ["x {{ .Values.A ", "1:3: unclosed action"],
  ["{{ if true }}x", "1:4: unexpected EOF: {{if}} has no {{end}}"],
  ["ok\n{{ end }}", "2:4: unexpected {{end}}"],
  ["{{ else }}", "1:4: unexpected {{else}}"],
  ['{{ upper "a" "b" }}', "1:4: wrong number of args for upper: want 1 got 2"],
  ["{{ eq }}", "1:4: wrong number of args for eq: want at least 1 got 0"],
  ["{{ upper 3 }}", "1:10: wrong type for value; expected string; got int (in upper)"],
  ["{{ .Values.Missing | upper }}", "1:22: invalid value; expected string for upper"],
  ["{{ $x }}", '1:4: undefined variable "$x"'],
  ['{{ "unterminated }}', "1:4: unterminated quoted string"],
  ["{{ /* x */ }}", '1:4: unrecognized character in action: "/"'],
  ["{{/* never closed", "1:1: unclosed comment"],
  ["{{ (print 1 }}", "1:13: unclosed left paren"],
  ["{{ print 1) }}", "1:11: unexpected right paren"],
  ["{{ break }}", "1:4: {{break}} outside {{range}}"],
  ['{{ eq "1" 1 }}', "1:4: error calling eq: incompatible types for comparison"],
  ["{{ index .arr 5 }}", "1:4: error calling index: index out of range: 5"],
  ["{{ .nil.X }}", "1:4: nil pointer evaluating interface {}.X"],
  ["{{ .Values.NAME.X }}", "1:4: can't evaluate field X in type string"],
  ["{{ .Values.NAME 1 }}", "1:4: Values.NAME is not a method but has arguments"],
  ["{{ 3 4 }}", "1:4: can't give argument to non-function number"],
  ["{{ nil }}", "1:4: nil is not a command"],
  ["{{ range .Values.NAME }}{{ end }}", "1:4: range can't iterate over web"],
  ["{{ }}", "1:4: missing value for command"],
  ['{{ "a" | "b" }}', "1:10: non executable command in pipeline stage 2"],
  ['{{ print "a""b" }}', '1:13: unexpected "\\"b\\"" in operand'],
  ["{{ 12abc }}", '1:4: bad number syntax: "12a"'],
  ['{{ template "nope" }}', '1:4: no such template "nope"'],
  ["{{ div 1 0 }}", "1:4: error calling div: integer divide by zero"],
  [
    "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
    "1:24: expected {{end}} for the {{if}} at line 1; found {{else}}",
  ],
];

describe("renderTemplate: errors name template, line and column", () => {
  for (const [tpl, want] of errors)
    test(tpl, () => {
      let err: unknown;
      try {
        renderTemplate("t", tpl, data);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).message).toBe(`t:${want}`);
    });

  test("fields carry the position", () => {
    try {
      renderTemplate("docker-compose.yml.tpl", "line1\n  {{ bogus }}", {});
      throw new Error("no error");
    } catch (e) {
      const t = e as TemplateError;
      expect([t.template, t.line, t.column]).toEqual(["docker-compose.yml.tpl", 2, 6]);
    }
  });
});
