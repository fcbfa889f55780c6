// The template engine: error reporting, undefined values, whitespace control and runaway guards. Expected
// outputs are worked out by hand from the template language's documented rules (the byte-for-byte comparison with the
// reference renderer is tests/oracle/jinja.mjs and chat_template.mjs).
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "text/jinja/jinja.h"

using seek::jinja::Options;
using seek::jinja::Template;

namespace {

std::string render(const std::string& src, const nlohmann::ordered_json& ctx = nlohmann::ordered_json::object(),
                   Options opt = {}) {
  return Template(src, "t", opt).render(ctx);
}

// The error message of rendering (or parsing) `src`; fails the test when there is none.
std::string error_of(const std::string& src, const nlohmann::ordered_json& ctx = nlohmann::ordered_json::object(),
                     Options opt = {}) {
  try {
    Template(src, "t", opt).render(ctx);
  } catch (const seek::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << src;
  return {};
}

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST(Jinja, SyntaxErrorsNameLineAndColumn) {
  // `*` is the 7th character of line 2.
  std::string e = error_of("line one\n{{ 1 +* 2 }}");
  EXPECT_TRUE(has(e, "t:2:7:")) << e;
  EXPECT_TRUE(has(e, "syntax error")) << e;

  // An unclosed block points at its opening tag and says what would close it.
  e = error_of("a\nb {% if x %}\nno end");
  EXPECT_TRUE(has(e, "t:2:3:")) << e;
  EXPECT_TRUE(has(e, "endif")) << e;

  e = error_of("{% for x in xs %}{% endif %}");
  EXPECT_TRUE(has(e, "endfor")) << e;

  e = error_of("x\n  {{ 'abc }}");
  EXPECT_TRUE(has(e, "t:2:6:")) << e;
  EXPECT_TRUE(has(e, "never closed")) << e;

  e = error_of("{% frobnicate %}");
  EXPECT_TRUE(has(e, "t:1:1:") && has(e, "frobnicate")) << e;

  e = error_of("{{ a $ b }}");
  EXPECT_TRUE(has(e, "t:1:6:") && has(e, "'$'")) << e;

  e = error_of("{# never closed");
  EXPECT_TRUE(has(e, "t:1:1:") && has(e, "#}")) << e;

  e = error_of("{% endfor %}");
  EXPECT_TRUE(has(e, "endfor")) << e;

  e = error_of("{% break %}");
  EXPECT_TRUE(has(e, "outside a for loop")) << e;

  e = error_of("{{ 'a' \\q }}");
  EXPECT_TRUE(has(e, "t:1:8:")) << e;

  // Columns count characters, not bytes.
  e = error_of("é€😀 {{ 1 +* 2 }}");
  EXPECT_TRUE(has(e, "t:1:11:")) << e;
}

TEST(Jinja, PositionsSurviveWhitespaceOptions) {
  // lstrip_blocks removes the indentation before `{%`; the column still counts it.
  const std::string e = error_of("ok\n    {% if %}{% endif %}");
  EXPECT_TRUE(has(e, "t:2:")) << e;
  EXPECT_TRUE(has(e, "t:2:11:")) << e;  // the `%}` where a condition was expected
}

TEST(Jinja, RuntimeErrorsNamePosition) {
  std::string e = error_of("ab\n{{ none + 1 }}");
  EXPECT_TRUE(has(e, "t:2:9:") && has(e, "none")) << e;

  e = error_of("{{ raise_exception('bad role') }}");
  EXPECT_TRUE(has(e, "bad role")) << e;

  e = error_of("{{ x | nosuchfilter }}");
  EXPECT_TRUE(has(e, "nosuchfilter")) << e;

  e = error_of("{{ x is nosuchtest }}");
  EXPECT_TRUE(has(e, "nosuchtest")) << e;

  e = error_of("{{ f() }}");
  EXPECT_TRUE(has(e, "'f' is not a function")) << e;

  e = error_of("{% set d = {} %}{% set d.x = 1 %}");
  EXPECT_TRUE(has(e, "namespace")) << e;

  e = error_of("{{ 1 / 0 }}");
  EXPECT_TRUE(has(e, "division by zero")) << e;
}

TEST(Jinja, UndefinedIsFalsyAndRendersEmpty) {
  EXPECT_EQ(render("[{{ x }}]"), "[]");
  EXPECT_EQ(render("[{{ x.y.z }}]"), "[]");
  EXPECT_EQ(render("[{{ x['k'] }}{{ x[0] }}]"), "[]");
  EXPECT_EQ(render("{% if x %}yes{% else %}no{% endif %}"), "no");
  EXPECT_EQ(render("{{ x is defined }} {{ x is undefined }} {{ x is none }}"), "false true false");
  EXPECT_EQ(render("{{ not x }}"), "true");
  EXPECT_EQ(render("{{ x | default('d') }}"), "d");
  EXPECT_EQ(render("{{ x | length }}"), "0");
  EXPECT_EQ(render("{% for a in x %}{{ a }}{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{{ x ~ 'a' }}"), "a");
  EXPECT_EQ(render("{{ 'a' in x }} {{ 'a' not in x }}"), "false true");
  EXPECT_EQ(render("{{ x == none }}"), "true");  // undefined and none compare equal
  EXPECT_EQ(render("{{ d.missing is defined }}", {{"d", {{"a", 1}}}}), "false");
  // Arithmetic on undefined is an error, not a silent empty string.
  EXPECT_TRUE(has(error_of("{{ x + 1 }}"), "undefined"));
  // None renders as nothing too; it is not undefined.
  EXPECT_EQ(render("[{{ n }}] {{ n is none }} {{ n is defined }}", {{"n", nullptr}}), "[] true true");
}

TEST(Jinja, WhitespaceControl) {
  // trim_blocks drops the newline after a block tag; lstrip_blocks the indentation before it.
  EXPECT_EQ(render("a\n{% if true %}\n  x\n{% endif %}\nb"), "a\n  x\nb");
  EXPECT_EQ(render("a\n    {% if true %}\nx\n    {% endif %}\nb"), "a\nx\nb");
  // Expression tags are not block tags.
  EXPECT_EQ(render("{{ 'a' }}\n{{ 'b' }}"), "a\nb");
  // `-` strips all whitespace on its side, newlines included.
  EXPECT_EQ(render("a  \n {%- if true -%} \n x \n {%- endif -%}  \n b"), "axb");
  EXPECT_EQ(render("a {{- 'x' -}} b"), "axb");
  EXPECT_EQ(render("a {{- 'x' }} b"), "ax b");
  EXPECT_EQ(render("a {#- note -#} b"), "ab");
  EXPECT_EQ(render("a {# note #} b"), "a  b");
  // A single trailing newline of the template is dropped, more are kept.
  EXPECT_EQ(render("x\n"), "x");
  EXPECT_EQ(render("x\n\n"), "x\n");
  // Text that is all whitespace disappears next to `-`.
  EXPECT_EQ(render("{% for i in [1, 2] %}\n  {{- i -}}\n{% endfor %}"), "12");
  // `{{-` strips Unicode spaces as well (U+3000 ideographic space).
  EXPECT_EQ(render("a\u3000 {{- 'b' }}"), "ab");
  // Without the options, block tags keep their surroundings.
  Options raw;
  raw.trim_blocks = false;
  raw.lstrip_blocks = false;
  EXPECT_EQ(render("a\n  {% if true %}\nx{% endif %}\n", {}, raw), "a\n  \nx");
}

TEST(Jinja, LoopsAndScopes) {
  EXPECT_EQ(render("{% for x in xs %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}",
                   {{"xs", {"a", "b", "c"}}}),
            "1a,2b,3c");
  EXPECT_EQ(render("{% for x in [1,2,3,4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}"), "2/2 4/2 ");
  // Assignments inside a loop do not leak out; namespaces carry state across.
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 5 %}{% endfor %}{{ x }}"), "1");
  EXPECT_EQ(
      render("{% set ns = namespace(n=0) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"),
      "10");
  // break and continue keep what the iteration already wrote.
  EXPECT_EQ(render("{% for i in range(5) %}{{ i }}{% if i == 1 %}{% continue %}{% endif %}.{% if i == 2 %}{% break "
                   "%}{% endif %}{% endfor %}"),
            "0.12.");
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {{"d", {{"b", 1}, {"a", 2}}}}),
            "b=1;a=2;");
  EXPECT_EQ(render("{% for c in 'héé' %}[{{ c }}]{% endfor %}"), "[h][é][é]");
}

TEST(Jinja, PythonStringSemantics) {
  // str.strip(chars) strips exactly those characters (chat templates rely on strip('\n') keeping spaces).
  EXPECT_EQ(render("[{{ '\n  x \n'.strip('\n') }}]"), "[  x ]");
  EXPECT_EQ(render("[{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}|{{ ' a '.strip() }}]"), "[axx|xxa|a]");
  EXPECT_EQ(render("{{ 'a</think>b</think>c'.split('</think>')[-1] }}"), "c");
  EXPECT_EQ(render("{{ 'a,b,c'.split(',', 1) }}"), "[\"a\", \"b,c\"]");
  EXPECT_EQ(render("{{ '-' * 3 }}"), "---");
  EXPECT_EQ(render("{{ 'héllo'[1] }}{{ 'héllo'[1:3] }}{{ 'héllo' | length }}"), "éél5");
  EXPECT_EQ(render("{{ 'b' < 'c' }}"), "true");
  EXPECT_EQ(render("{{ -7 // 2 }} {{ -7 % 3 }}"), "-4 2");
}

TEST(Jinja, PrintsLikeTheReferenceRenderer) {
  EXPECT_EQ(render("{{ true }} {{ 2.0 }} {{ 0.1 + 0.2 }} {{ [1, 'a', none] }} {{ {'k': 'v'} }}"),
            "true 2.0 0.30000000000000004 [1, \"a\", null] {\"k\": \"v\"}");
  EXPECT_EQ(render("{{ x | tojson }}", {{"x", {{"b", {1, 2.5, nullptr}}, {"a", "é\n"}}}}),
            "{\"b\": [1, 2.5, null], \"a\": \"é\\n\"}");
  EXPECT_EQ(render("{{ 'é' | tojson(ensure_ascii=true) }}"), "\"\\u00e9\"");
}

TEST(Jinja, MacrosCallAndFilterBlocks) {
  EXPECT_EQ(render("{% macro g(n, p='!') %}hi {{ n }}{{ p }}{% endmacro %}{{ g('a') }} {{ g('b', p='?') }}"),
            "hi a! hi b?");
  EXPECT_EQ(render("{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}in{% endcall %}"), "<in>");
  EXPECT_EQ(render("{% filter upper %}abc{% endfilter %}"), "ABC");
  EXPECT_EQ(render("{% macro v() %}{{ varargs | length }}{{ kwargs.k }}{% endmacro %}{{ v(1, 2, k=3) }}"), "23");
}

TEST(Jinja, RunawayTemplatesStop) {
  Options small;
  small.max_steps = 100000;
  EXPECT_TRUE(has(error_of("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", {}, small),
                  "too much work"));
  EXPECT_TRUE(has(error_of("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"), "nested too deeply"));
  EXPECT_TRUE(has(error_of("{{ 'xy' * 100000000 }}"), "MiB"));
  EXPECT_TRUE(
      has(error_of("{% set ns = namespace(s=[1]) %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"),
          "too large"));
  EXPECT_TRUE(has(error_of("{{ range(100000000) | length }}"), "too long"));
  // Deep nesting is an error, not a stack overflow.
  EXPECT_TRUE(
      has(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}"), "nested too deeply"));
  std::string ifs;
  for (int i = 0; i < 3000; i++) ifs += "{% if true %}";
  EXPECT_TRUE(has(error_of(ifs), "nested too deeply"));
  EXPECT_TRUE(has(error_of("{{ " + std::string(5000, '-') + "1 }}"), "nested too deeply"));
  // Reasonable nesting works.
  std::string ok;
  for (int i = 0; i < 100; i++) ok += "{% if true %}";
  ok += "x";
  for (int i = 0; i < 100; i++) ok += "{% endif %}";
  EXPECT_EQ(render(ok), "x");
}

TEST(Jinja, BadContextIsAnError) { EXPECT_THROW(Template("x").render(nlohmann::ordered_json::array()), seek::Error); }
