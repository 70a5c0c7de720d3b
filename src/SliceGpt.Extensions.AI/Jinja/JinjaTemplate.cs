using System.Text;
using static SliceGpt.Extensions.AI.Jinja.JinjaValues;

namespace SliceGpt.Extensions.AI.Jinja;

/// <summary>
/// A parsed template, rendered with Python's semantics. Scoping follows Jinja2: a for loop's body runs in a scope of its
/// own (what it sets is gone after the loop; a <c>namespace</c> carries values out), if blocks share the enclosing scope.
/// Immutable after parsing and safe to render from several threads at once.
/// </summary>
internal sealed class JinjaTemplate
{
    private enum Flow { Normal, Break, Continue }

    private readonly IReadOnlyList<Node> _body;
    private readonly string _origin;

    private JinjaTemplate(IReadOnlyList<Node> body, string origin)
    {
        _body = body;
        _origin = origin;
    }

    /// <exception cref="ChatTemplateException">A syntax error, with the line.</exception>
    public static JinjaTemplate Parse(string source, string origin) => new(JinjaParser.Parse(source, origin), origin);

    /// <summary>Renders with <paramref name="variables"/> (values: null, bools, numbers, strings, and sequences and string-keyed dictionaries of them).</summary>
    /// <exception cref="ChatTemplateException">An error while rendering, or the template's own <c>raise_exception</c>.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var scopes = new List<Dictionary<string, object?>> { JinjaBuiltins.Globals(), variables.ToDictionary(v => v.Key, v => FromHost(v.Value)) };
        var output = new StringBuilder();
        new Renderer(this, scopes).Nodes(_body, output);
        return output.ToString();
    }

    private sealed class Renderer(JinjaTemplate template, List<Dictionary<string, object?>> scopes)
    {
        private int _line;

        public Flow Nodes(IReadOnlyList<Node> nodes, StringBuilder output)
        {
            foreach (var node in nodes)
            {
                _line = node.Line;
                var flow = Node(node, output);
                if (flow != Flow.Normal)
                    return flow;
            }
            return Flow.Normal;
        }

        private Flow Node(Node node, StringBuilder output)
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    return Flow.Normal;
                case OutputNode value:
                    output.Append(ToStr(Eval(value.Value)));
                    return Flow.Normal;
                case IfNode branch:
                    foreach (var (condition, body) in branch.Branches)
                        if (IsTrue(Eval(condition)))
                            return Nodes(body, output);
                    return branch.Else is { } otherwise ? Nodes(otherwise, output) : Flow.Normal;
                case ForNode loop:
                    return For(loop, output);
                case SetNode set:
                    Set(set);
                    return Flow.Normal;
                case SetBlockNode block:
                    var captured = new StringBuilder();
                    Nodes(block.Body, captured);
                    scopes[^1][block.Target] = captured.ToString();
                    return Flow.Normal;
                case BreakNode:
                    return Flow.Break;
                case ContinueNode:
                    return Flow.Continue;
                case GenerationNode generation:
                    return Nodes(generation.Body, output);
                default:
                    throw new InvalidOperationException($"unknown node {node.GetType().Name}");
            }
        }

        private Flow For(ForNode loop, StringBuilder output)
        {
            var items = Wrap(loop.Line, () => Iterate(Eval(loop.Iterable)));
            if (loop.Filter is not null)
            {
                var kept = new List<object?>();
                foreach (var item in items)
                {
                    var probe = new Dictionary<string, object?>();
                    Bind(probe, loop.Targets, item, loop.Line);
                    scopes.Add(probe);
                    try
                    {
                        if (IsTrue(Eval(loop.Filter)))
                            kept.Add(item);
                    }
                    finally
                    {
                        scopes.RemoveAt(scopes.Count - 1);
                    }
                }
                items = kept;
            }
            if (items.Count == 0)
                return loop.Else is { } otherwise ? Nodes(otherwise, output) : Flow.Normal;
            var context = new LoopContext(items);
            for (int i = 0; i < items.Count; i++)
            {
                context.Index0 = i;
                var scope = new Dictionary<string, object?> { ["loop"] = context };
                Bind(scope, loop.Targets, items[i], loop.Line);
                scopes.Add(scope);
                Flow flow;
                try
                {
                    flow = Nodes(loop.Body, output);
                }
                finally
                {
                    scopes.RemoveAt(scopes.Count - 1);
                }
                if (flow == Flow.Break)
                    break;
            }
            return Flow.Normal;
        }

        private void Bind(Dictionary<string, object?> scope, IReadOnlyList<string> targets, object? value, int line)
        {
            if (targets.Count == 1)
            {
                scope[targets[0]] = value;
                return;
            }
            var parts = value as List<object?> ?? throw Error(line, $"cannot unpack {TypeName(value)} into {targets.Count} names");
            if (parts.Count != targets.Count)
                throw Error(line, $"cannot unpack {parts.Count} values into {targets.Count} names");
            for (int i = 0; i < targets.Count; i++)
                scope[targets[i]] = parts[i];
        }

        private void Set(SetNode set)
        {
            var value = Eval(set.Value);
            if (set.Attribute is { } attribute)
            {
                if (Lookup(set.Targets[0]) is not JinjaNamespace ns)
                    throw Error(set.Line, $"cannot set {set.Targets[0]}.{attribute}: {set.Targets[0]} is not a namespace()");
                ns.Attributes[attribute] = value;
                return;
            }
            Bind(scopes[^1], set.Targets, value, set.Line);
        }

        private object? Lookup(string name)
        {
            for (int i = scopes.Count - 1; i >= 0; i--)
                if (scopes[i].TryGetValue(name, out var value))
                    return value;
            return new Undefined(name);
        }

        private object? Eval(Expr expr) => Wrap(expr.Line, () => Evaluate(expr));

        private object? Evaluate(Expr expr)
        {
            switch (expr)
            {
                case LiteralExpr literal:
                    return literal.Value;
                case NameExpr name:
                    return Lookup(name.Name);
                case ListExpr list:
                    return list.Items.Select(Eval).ToList();
                case DictExpr dict:
                    var result = new Dictionary<string, object?>();
                    foreach (var (key, value) in dict.Items)
                        result[Eval(key) as string ?? throw new JinjaError("dict keys must be strings")] = Eval(value);
                    return result;
                case AttributeExpr attribute:
                    return JinjaBuiltins.Attribute(Eval(attribute.Target), attribute.Name);
                case IndexExpr index:
                    return JinjaBuiltins.Item(Eval(index.Target), Eval(index.Index));
                case SliceExpr slice:
                    return Slice(Eval(slice.Target), Optional(slice.Start), Optional(slice.Stop), Optional(slice.Step));
                case CallExpr call:
                    var callee = Eval(call.Callee);
                    if (callee is not JinjaFunction function)
                        throw new JinjaError(callee is Undefined u ? $"'{u.Name}' is undefined (called as a function)" : $"{TypeName(callee)} is not callable");
                    return function.Invoke(call.Args.Select(Eval).ToList(), Kwargs(call.Kwargs));
                case FilterExpr filter:
                    return JinjaBuiltins.Filter(filter.Name, Eval(filter.Value), filter.Args.Select(Eval).ToList(), Kwargs(filter.Kwargs));
                case TestExpr test:
                    return JinjaBuiltins.Test(test.Name, Eval(test.Value), test.Args.Select(Eval).ToList()) != test.Negated;
                case UnaryExpr unary:
                    var operand = Eval(unary.Operand);
                    return unary.Op switch
                    {
                        "not" => !IsTrue(operand),
                        "-" => operand is double d ? -d : IsNumber(operand) ? (object)-ToLong(operand) : throw new JinjaError($"bad operand for unary -: {TypeName(operand)}"),
                        _ => IsNumber(operand) ? operand : throw new JinjaError($"bad operand for unary +: {TypeName(operand)}"),
                    };
                case BinaryExpr binary:
                    return Binary(binary.Op, Eval(binary.Left), Eval(binary.Right));
                case CompareExpr compare:
                    return Compare(compare);
                case LogicalExpr logical:
                    var left = Eval(logical.Left);
                    return logical.Op == "and" ? (IsTrue(left) ? Eval(logical.Right) : left) : (IsTrue(left) ? left : Eval(logical.Right));
                case ConditionalExpr conditional:
                    return IsTrue(Eval(conditional.Condition))
                        ? Eval(conditional.Then)
                        : conditional.Else is { } otherwise ? Eval(otherwise) : new Undefined("the else of a conditional expression");
                default:
                    throw new InvalidOperationException($"unknown expression {expr.GetType().Name}");
            }
        }

        private object? Optional(Expr? expr) => expr is null ? null : Eval(expr);

        private Dictionary<string, object?> Kwargs(IReadOnlyList<(string Name, Expr Value)> kwargs) =>
            kwargs.ToDictionary(k => k.Name, k => Eval(k.Value));

        private bool Compare(CompareExpr compare)
        {
            var left = Eval(compare.First);
            foreach (var (op, operandExpr) in compare.Rest)
            {
                var right = Eval(operandExpr);
                bool holds = op switch
                {
                    "==" => AreEqual(left, right),
                    "!=" => !AreEqual(left, right),
                    "in" => Contains(right, left),
                    "not in" => !Contains(right, left),
                    "<" => JinjaValues.Compare(left, right, op) < 0,
                    "<=" => JinjaValues.Compare(left, right, op) <= 0,
                    ">" => JinjaValues.Compare(left, right, op) > 0,
                    _ => JinjaValues.Compare(left, right, op) >= 0,
                };
                if (!holds)
                    return false;
                left = right;
            }
            return true;
        }

        // Errors from values and builtins get the template's name and the line; the template's own raise_exception too.
        private T Wrap<T>(int line, Func<T> body)
        {
            try
            {
                return body();
            }
            catch (JinjaError e)
            {
                throw Error(line, e.Message);
            }
            catch (TemplateRaisedException e)
            {
                throw new ChatTemplateException(template._origin, line, e.Message, raisedByTemplate: true);
            }
        }

        private ChatTemplateException Error(int line, string message) => new(template._origin, line == 0 ? _line : line, message);
    }
}
