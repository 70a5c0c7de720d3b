namespace SliceGpt.Extensions.AI.Tests;

/// <summary>The Jinja subset beyond what the real templates above exercise, each expected value derived by hand with Python's semantics.</summary>
public class JinjaSubsetTests
{
    private static string Render(string source, params ChatTurn[] messages) =>
        ChatTemplate.Parse(source, "test").Render(messages.Length > 0 ? messages : [new("user", "  hello world ")], addGenerationPrompt: false);

    [TestCase("{{ 'a' ~ 1 ~ none ~ true }}", "a1NoneTrue")]
    [TestCase("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1 + 2.5 }} {{ 4 / 2 }}", "3 -4 2 3.5 1024 3.5 2.0")]
    [TestCase("{{ 'x' if 1 > 2 else 'y' }}{{ 'z' if true }}", "yz")]
    [TestCase("{{ 'b' in ['a', 'b'] and 'z' not in 'abc' }} {{ not 0 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}", "True True True False")]
    [TestCase("{{ none or 'fallback' }} {{ 'first' and 'second' }} {{ 0 and 'never' }}", "fallback second 0")]
    [TestCase("{{ messages[0].content.strip().title() }}|{{ messages[0]['content'] | trim | upper }}|{{ messages[-1].role }}", "Hello World|HELLO WORLD|user")]
    [TestCase("{{ missing | default('d') }} {{ '' | default('e', true) }} {{ missing is defined }} {{ none is none }} {{ 3 is odd }}", "d e False True True")]
    [TestCase("{{ 'abcdef'[1:4] }} {{ 'abcdef'[::-1] }} {{ [1, 2, 3][-2:] }} {{ 'héllo'[1] }}", "bcd fedcba [2, 3] é")]
    [TestCase("{{ ['a', 'b'] | join(', ') }} {{ 'Hi' | lower }} {{ 'ab' | length }} {{ [1, 2] | length }} {{ 'hello there' | title }}", "a, b hi 2 2 Hello There")]
    [TestCase("{{ {'b': 1, 'a': [true, none, 'x\"y']} | tojson }}", "{\"b\": 1, \"a\": [true, null, \"x\\\"y\"]}")]
    [TestCase("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }}", "['a', 'b', '', 'c'] ['a', 'b'] True True")]
    [TestCase("{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "10TrueFalse3;21FalseFalse3;32FalseTrue3;")]
    [TestCase("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{{ loop.index }}{% else %}none{% endfor %}{% for y in [] %}{{ y }}{% else %}empty{% endfor %}", "2142empty")]
    [TestCase("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [TestCase("{% for x in range(5) %}{% if x == 1 %}{% continue %}{% elif x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}", "02")]
    [TestCase("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}", "21")]
    [TestCase("{% set ns = namespace(n=0, seen=false) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }} {{ ns.seen }}", "1 False")]
    [TestCase("{% set a, b = 1, 'two' %}{{ b }}{{ a }}{% set block %}in {{ a }}{% endset %}[{{ block }}]", "two1[in 1]")]
    [TestCase("{{ messages | selectattr('role', 'equalto', 'user') | list | length }}{{ messages | map(attribute='role') | join }}", "1user")]
    [TestCase("{{ '%d' }}{# a comment #}{{ \"it's\" }}{{ 'a' 'b' }}{{ '\\u00e9\\t|' }}", "%dit'sabé\t|")]
    public void Expression(string source, string expected) => Assert.That(Render(source), Is.EqualTo(expected));

    [TestCase("a\n  {%- if true -%}  \n b {{- ' c ' -}} d\n{%- endif %}\n!", "ab c d!")]
    [TestCase("  {% if true %}\nyes\n  {% endif %}\nend", "yes\nend")]
    [TestCase("x  {% if true %}y{% endif %}", "x  y")]
    [TestCase("{% if true %}  {% if true %}A{% endif %}{% endif %}", "  A")]
    [TestCase("{% if true %}\n  {% if true %}A{% endif %}{% endif %}", "A")]
    [TestCase("{% if true %}\n  {%+ if true %}A{% endif %}{% endif %}", "  A")]
    [TestCase("  {# note #}\n{{ 'v' }}\n", "v")]
    [TestCase("line\n    {{ 'v' }}\n", "line\n    v")]
    public void Whitespace(string source, string expected) => Assert.That(Render(source), Is.EqualTo(expected));

    [TestCase("{% if true %}never closed", 1, "the template ends before {% elif or else or endif %}")]
    [TestCase("ok\n{{ 1 + }}", 2, "expected a value, found the end of the tag")]
    [TestCase("{{ x | frobnicate }}", 1, "the filter 'frobnicate' is not supported by this Jinja subset")]
    [TestCase("\n\n{{ missing.attribute }}", 3, "'missing' is undefined (reading .attribute)")]
    [TestCase("{{ 'a' + 1 }}", 1, "unsupported operand types for +: str and int")]
    [TestCase("{% macro m() %}{% endmacro %}", 1, "the tag {% macro %} is not supported by this Jinja subset")]
    [TestCase("{% for m in messages %}{% endif %}", 1, "unexpected {% endif %}")]
    public void Errors_NameTheTemplateAndLine(string source, int line, string reason)
    {
        var e = Assert.Throws<ChatTemplateException>(() => Render(source))!;
        Assert.That((e.Origin, e.Line, e.Reason, e.RaisedByTemplate), Is.EqualTo(("test", (int?)line, reason, false)), e.Message);
        Assert.That(e.Message, Is.EqualTo($"test, line {line}: {reason}"));
    }

    [Test]
    public void RaiseException_IsTheMessagesFault()
    {
        var e = Assert.Throws<ChatTemplateException>(() => Render("{% if messages | length > 0 %}{{ raise_exception('no ' ~ messages[0].role ~ ' here') }}{% endif %}"))!;
        Assert.That((e.Reason, e.RaisedByTemplate), Is.EqualTo(("no user here", true)));
    }

    [Test]
    public void StrftimeNow_FormatsTheLocalDate()
    {
        // The date could change between the two reads only at midnight; the day is read around the render.
        var before = DateTime.Now;
        string text = Render("{{ strftime_now('%d %b %Y') }}");
        var after = DateTime.Now;
        Assert.That(text, Is.EqualTo(before.ToString("dd MMM yyyy", System.Globalization.CultureInfo.InvariantCulture))
            .Or.EqualTo(after.ToString("dd MMM yyyy", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
