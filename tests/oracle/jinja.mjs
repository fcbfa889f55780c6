// The template engine on its own: small templates covering syntax, whitespace control, operators, filters,
// tests, loops, scoping and macros, rendered by @huggingface/jinja and by seek (its batch mode), byte for byte.
// Templates the oracle rejects must be rejected by seek too.
import { Template } from "@huggingface/jinja";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const SEEK = process.env.SEEK;
const WORK = process.env.WORK;
if (!SEEK || !WORK) throw new Error("SEEK and WORK must be set");
fs.mkdirSync(WORK, { recursive: true });

const d = { a: 1, b: "x", c: [1, 2], "ü": null };
const items = [{ n: 2, on: true, s: "b" }, { n: 1, on: false, s: "A" }, { n: 3, on: 1, s: "c" }];
const data = { a: [1, 2.5, null, true, "ü\n\"q\"\t\u0001", { k: [] }], b: {}, c: -0.125, e: 1e-7, f: 123456.5 };

// [template, context]
const cases = [
  // whitespace: trim_blocks, lstrip_blocks, "-" on either side, trailing newline
  ["a\n{% if true %}\n  x\n{% endif %}\nb", {}],
  ["  {% if true %}x{% endif %}  \n", {}],
  ["a  {%- if true -%}  x  {%- endif -%}  b", {}],
  ["a {{- 'x' -}} b", {}],
  ["{# c #}\na{#- c -#}  b", {}],
  ["line\n    {%- for i in [1,2] %}\n  {{ i }}\n{% endfor %}", {}],
  ["x\n\n", {}],
  ["\t{% if true %}\n\tyes\n\t{% endif %}\n", {}],
  ["{{ 'a' }}\n{{ 'b' }}\n", {}],
  ["{% set x %}\n  block {{ 1 }}\n{% endset %}[{{ x }}]", {}],
  ["a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", {}],
  ["   {#- comment #}\nX", {}],
  ["a\u3000 {%- if true %}b{% endif %}", {}],
  ["{{ '%}\nX' }}", {}],
  ["{%- set x = 5 -%}\n\n  {{ x }}", {}],
  ["{{ 'a' }}{# {{ braces }} #}{{ 'b' }}", {}],
  ["{# c #}\nX", {}],
  ["{% for i in [1, 2] -%}\n  {{ i }}\n{%- endfor %}", {}],
  ["A{% generation %} gen {% endgeneration %}B {%- generation -%} g2 {%- endgeneration %} C", {}],
  // literals and printing
  ["{{ 1 }} {{ 1.5 }} {{ 2.0 }} {{ -3 }} {{ -0.5 }} {{ 100000000000000000000.0 }}", {}],
  ["{{ true }} {{ false }} {{ none }} {{ True }} {{ None }} [{{ undefined_var }}]", {}],
  ["{{ [1, 'a', none, true, 2.5] }} {{ {'a': 1, 'b': [1, 2]} }} {{ (1, 2) | length }} {{ {'a': {'b': 1}} }}", {}],
  ["{{ 'a\\tb\\n\\'q\\' \\\"d\\\" \\\\ \\x41 \\u00e9' }}", {}],
  ["{{ 'a' 'b' \"c\" }}", {}],
  ["{{ x }} {{ y }} {{ z }}", { x: 3.25, y: -7, z: [true, null, "s"] }],
  // arithmetic, comparison, logic
  ["{{ 10 / 4 }} {{ 10 // 4 }} {{ -5 // 2 }} {{ 5.0 // 2 }} {{ 10 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7 - 10 }} {{ 1.5 * 2 }}", {}],
  ["{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 1 / 3 }} {{ 0.1 + 0.2 }} {{ 2 ** 0.5 }} {{ 1 - -1 }}", {}],
  ["{{ 'a' ~ 1 ~ 2.5 ~ true }} {{ 'ab' + 'cd' }} {{ 'n=' + 5 }} {{ 5 + 'n' }}", {}],
  ["{{ 3 > 2 }} {{ 2 >= 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 1 < 0.5 }} {{ x == y }}", { x: "s", y: "s" }],
  ["{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ 'q' in nothing }}", {}],
  ["{{ x if x else 'zero' }} [{{ 'yes' if false }}] {{ 'a' if 1 > 2 else 'b' if 2 > 1 else 'c' }}", { x: 0 }],
  ["{{ a and b }}|{{ a or b }}|{{ not a }}|{{ b and a }}|{{ not not b }}", { a: "", b: "B" }],
  ["{{ [] or 'empty' }} {{ {} or 'empty' }} {{ [0] and 'full' }}", {}],
  // indexing and slicing
  ["{{ 'abc'[0] }} {{ 'abc'[-1] }} {{ 'abcdef'[1:4] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[::2] }} {{ 'abc'[5] }}", {}],
  ["{{ [1,2,3,4][1:] }} {{ [1,2,3,4][:-1] }} {{ [1,2,3,4][-2:] }} {{ [1,2,3,4][3:0:-1] }} {{ [1,2,3][:] }} {{ x.0 }}", { x: [5, 6] }],
  ["{{ m[0].role }} {{ m[-1]['content'] }} {{ m[5].role }} [{{ m[9] }}]", { m: [{ role: "u", content: "c1" }, { role: "a", content: "c2" }] }],
  ["{{ d.a }} {{ d['b'] }} [{{ d.missing }}] [{{ d.missing.deeper }}] {{ d['ü'] is none }}", { d }],
  // string methods
  ["{{ 'héllo wörld'.upper() }} {{ 'ABC'.lower() }} {{ 'hello world'.title() }} {{ 'hello'.capitalize() }}", {}],
  ["[{{ '  x  '.strip() }}|{{ '  x  '.lstrip() }}|{{ '  x  '.rstrip() }}|{{ '\u00a0\u3000x\n'.strip() }}]", {}],
  ["{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'a b c'.split(none, 1) }}", {}],
  ["{{ 'aaa'.replace('a', 'b') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'ab'.replace('', '-') }}", {}],
  ["{{ 'hello'.startswith('he') }} {{ 'hello'.endswith(('x', 'lo')) }} {{ 'hello'.startswith(['x']) }}", {}],
  ["{{ 'abc'.length }} {{ [1, 2].length }}", {}],
  // dicts
  ["{{ d.get('a') }} {{ d.get('z', 'dflt') }} [{{ d.get('z') }}] {% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {{ d.keys() }} {{ d.values() }}", { d }],
  ["{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %} {{ d | items }} {{ d | dictsort }} {{ d | length }}", { d: { b: 2, a: 1 } }],
  // filters
  ["{{ 'héllo' | length }} {{ [1, 2] | length }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ [1, 2, 3] | reverse }}", {}],
  ["{{ [1, 2, 3] | first }} {{ [1, 2, 3] | last }} {{ ['a', 'b'] | join(', ') }} {{ [1, 2, 3] | join('-') }} {{ [1, 1, 2] | unique }}", {}],
  ["[{{ '  x ' | trim }}] {{ 'x' | upper }} {{ 'Hello' | lower }} {{ 'hello world' | title }} {{ 'Hello World' | replace('o', '0') }}", {}],
  ["{{ data | tojson }}", { data }],
  ["{{ data | tojson(indent=2) }}", { data }],
  ["{{ data | tojson(separators=(',', ':')) }} {{ data.b | tojson(indent=4) }} {{ [] | tojson(indent=2) }}", { data }],
  ["{{ 'é😀' | tojson }} {{ 'é😀\u007f' | tojson(ensure_ascii=true) }} {{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}", {}],
  ["{{ x | default('d') }} [{{ none | default('d') }}] {{ '' | default('d', true) }} {{ 0 | default('d', boolean=true) }}", {}],
  ["{{ '5' | int + 1 }} {{ '2.5' | float }} {{ 3.7 | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ true | int }} {{ -3 | abs }} {{ 2 | float }}", {}],
  ["{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}|{{ 'a\n\nb' | indent(width=3, first=true, blank=true) }}", {}],
  ["{{ items | selectattr('on') | map(attribute='n') | join(',') }} {{ items | rejectattr('on') | length }}", { items }],
  ["{{ items | selectattr('s', 'equalto', 'c') | map(attribute='n') | join }} {{ items | map(attribute='zz', default='?') | join }}", { items }],
  ["{{ items | sort(attribute='n') | map(attribute='n') | join }} {{ items | sort(attribute='s') | map(attribute='s') | join }} {{ items | sort(attribute='n', reverse=true) | map(attribute='n') | join }}", { items }],
  ["{{ 1 | string }}{{ [1] | string }}{{ true | string }} {{ 'abc' | string }}", {}],
  // tests
  ["{{ x is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1 is integer }} {{ 1.5 is integer }}", { x: 0 }],
  ["{{ [1] is iterable }} {{ {} is mapping }} {{ 3 is odd }} {{ 4 is even }} {{ true is boolean }} {{ false is false }} {{ x is not none }} {{ 'ABC' is upper }} {{ 'abc' is lower }}", { x: null }],
  ["{{ f is callable }} {{ range is callable }} {{ 'a' is sequence }}", {}],
  // loops
  ["{% for x in [] %}a{% else %}empty{% endfor %} {% for x in xs %}{{ x }}{% else %}none{% endfor %}", { xs: [1, 2] }],
  ["{% for x in xs if x > 1 %}{{ loop.index }}:{{ x }}/{{ loop.length }} {% endfor %}", { xs: [1, 2, 3, 0, 5] }],
  ["{% for x in xs %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.revindex }}{{ loop.revindex0 }} {% endfor %}", { xs: "ab".split("") }],
  ["{% for x in xs %}[{{ loop.previtem }}-{{ loop.nextitem }}]{% endfor %}", { xs: [1, 2, 3] }],
  ["{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}", {}],
  ["{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }};{% endfor %}", {}],
  ["{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}],
  ["{% for m in messages[::-1] %}{{ (messages | length - 1) - loop.index0 }}{{ m }}{% endfor %}", { messages: ["a", "b", "c"] }],
  // scoping and namespaces
  ["{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}", {}],
  ["{% set ns = namespace(c=0) %}{% for i in range(4) %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}", {}],
  ["{% set ns = namespace() %}{% set ns.a = 'x' %}{{ ns.a }}{{ ns }} {% set ns2 = namespace(d) %}{{ ns2.a }}", { d }],
  ["{% set a, b = [1, 2] %}{{ a }}{{ b }} {% set t = (1, 2) %}{{ t[1] }} {% if true %}{% set y = 'inner' %}{% endif %}{{ y }}", {}],
  ["{{ range(3) }} {{ range(1, 10, 3) }} {{ range(3, 0, -1) }}", {}],
  // macros, call and filter blocks
  ["{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C') }}", {}],
  ["{% macro m() %}\n  x\n{% endmacro %}[{{ m() }}]", {}],
  ["{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}in{% endcall %}", {}],
  ["{% filter upper %}abc {{ 'def' }}{% endfilter %}", {}],
  // chat-template idioms
  ["{%- if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{{ add_generation_prompt }}", {}],
  ["{{ (m.content.split('</think>')[-1]).lstrip() }}|{{ m.content.split('</think>', 1)[1] }}", { m: { content: "<think>r</think>  ans" } }],
  ["{% if m['tool_calls'] %}t{% else %}n{% endif %}{% if m.get('x') is none %}!{% endif %}", { m: { role: "user" } }],
  // rejected by both
  ["{% if x %}never closed", {}],
  ["{{ 'unterminated }}", {}],
  ["{% endfor %}", {}],
  ["{% for x in %}{% endfor %}", {}],
  ["{{ x | nosuchfilter }}", {}],
  ["{{ none + 1 }}", {}],
  ["{{ raise_exception('boom') }}", {}],
  ["{{ 'a' - 1 }}", {}],
  ["{% unknown %}", {}],
  ["{{ x is nosuchtest }}", {}],
  ["{{ 1 +* 2 }}", {}],
  ["{{ }", {}],
  ["{{ undefined_thing() }}", {}],
  ["{{ 5 is eq }}", {}],
];

const jobs = path.join(WORK, "snippets.jsonl");
fs.writeFileSync(jobs, cases.map(([template, context]) => JSON.stringify({ template, context })).join("\n") + "\n");
const results = execFileSync(SEEK, ["template", "--builtin", "deepseek-v3", "--jsonl", jobs], { encoding: "utf8" })
  .trimEnd()
  .split("\n")
  .map((l) => JSON.parse(l));

let failures = 0, rejected = 0;
cases.forEach(([template, context], i) => {
  let expected, error;
  try {
    expected = new Template(template).render(context);
  } catch (e) {
    error = e.message;
  }
  const got = results[i];
  const show = JSON.stringify(template);
  if (error !== undefined) {
    rejected++;
    if (process.env.VERBOSE) console.log(`rejected: ${show}: ${error}`);
    if (got.ok) {
      failures++;
      console.error(`FAIL ${show}: the oracle rejects it (${error}) but seek rendered ${JSON.stringify(got.text)}`);
    }
  } else if (!got.ok) {
    failures++;
    console.error(`FAIL ${show}: seek failed: ${got.error}\n  oracle: ${JSON.stringify(expected)}`);
  } else if (got.text !== expected) {
    failures++;
    console.error(`FAIL ${show}\n  oracle: ${JSON.stringify(expected)}\n  seek:   ${JSON.stringify(got.text)}`);
  }
});
console.log(`jinja snippets: ${cases.length} templates (${rejected} rejected by both), ${failures} failures`);
process.exit(failures || results.length !== cases.length ? 1 : 0);
