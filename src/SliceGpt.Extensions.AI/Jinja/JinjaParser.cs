namespace SliceGpt.Extensions.AI.Jinja;

/// <summary>
/// Parses the lexer's segments into a syntax tree with Jinja2's grammar and precedence: conditional expressions, or, and,
/// not, comparisons (chained, with in / not in), ~, + -, * / // %, **, unary - +, then postfix access (attribute, index,
/// slice, call), filters (<c>|</c>) and tests (<c>is</c>). Statements: if/elif/else, for (with an <c>if</c> filter and
/// <c>else</c>), set (also block set and namespace attributes), break, continue, generation. Anything else is refused
/// with the tag and the line.
/// </summary>
internal sealed class JinjaParser
{
    private readonly List<Segment> _segments;
    private readonly string _origin;
    private int _next;
    private Token[] _tokens = [];
    private int _at;

    private JinjaParser(List<Segment> segments, string origin)
    {
        _segments = segments;
        _origin = origin;
    }

    public static IReadOnlyList<Node> Parse(string source, string origin)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source, origin), origin);
        var (body, end, line) = parser.ParseBody([]);
        if (end is not null)
            throw new ChatTemplateException(origin, line, $"unexpected {{% {end} %}}");
        return body;
    }

    // Reads nodes until a statement whose keyword is in `ends` (returned, its tokens current after the keyword) or the end.
    private (List<Node> Body, string? End, int Line) ParseBody(string[] ends)
    {
        var body = new List<Node>();
        while (_next < _segments.Count)
        {
            var segment = _segments[_next++];
            if (segment is TextSegment text)
            {
                body.Add(new TextNode(text.Text, text.Line));
                continue;
            }
            var tag = (TagSegment)segment;
            _tokens = tag.Tokens;
            _at = 0;
            if (tag.Kind == TagKind.Output)
            {
                var value = ParseExpression();
                ExpectEnd();
                body.Add(new OutputNode(value, tag.Line));
                continue;
            }
            var keyword = Take();
            if (keyword.Kind != TokenKind.Name)
                throw Error(keyword, $"expected a statement keyword, found {keyword}");
            if (ends.Contains(keyword.Text))
                return (body, keyword.Text, tag.Line);
            body.Add(keyword.Text switch
            {
                "if" => ParseIf(tag.Line),
                "for" => ParseFor(tag.Line),
                "set" => ParseSet(tag.Line),
                "break" => End(new BreakNode(tag.Line)),
                "continue" => End(new ContinueNode(tag.Line)),
                "generation" => ParseGeneration(tag.Line),
                "elif" or "else" or "endif" or "endfor" or "endset" or "endgeneration" =>
                    throw Error(keyword, $"unexpected {{% {keyword.Text} %}}"),
                _ => throw Error(keyword, $"the tag {{% {keyword.Text} %}} is not supported by this Jinja subset"),
            });
        }
        if (ends.Length > 0)
            throw new ChatTemplateException(_origin, LastLine, $"the template ends before {{% {string.Join(" or ", ends)} %}}");
        return (body, null, LastLine);
    }

    private int LastLine => _segments.Count > 0 ? _segments[^1].Line : 1;

    private Node End(Node node)
    {
        ExpectEnd();
        return node;
    }

    private IfNode ParseIf(int line)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var condition = ParseExpression();
        ExpectEnd();
        while (true)
        {
            var (body, end, _) = ParseBody(["elif", "else", "endif"]);
            branches.Add((condition, body));
            if (end == "elif")
            {
                condition = ParseExpression();
                ExpectEnd();
                continue;
            }
            if (end == "else")
            {
                ExpectEnd();
                var (elseBody, _, _) = ParseBody(["endif"]);
                ExpectEnd();
                return new IfNode(branches, elseBody, line);
            }
            ExpectEnd();
            return new IfNode(branches, null, line);
        }
    }

    private ForNode ParseFor(int line)
    {
        var targets = new List<string> { ExpectName() };
        while (TryTake(","))
            targets.Add(ExpectName());
        var inToken = Take();
        if (!inToken.IsName("in"))
            throw Error(inToken, $"expected 'in' in a for loop, found {inToken}");
        var iterable = ParseOr(); // 'if' after the iterable starts the loop filter, not a conditional expression
        Expr? filter = null;
        if (Peek().IsName("if"))
        {
            Take();
            filter = ParseOr();
        }
        if (Peek().IsName("recursive"))
            throw Error(Peek(), "recursive for loops are not supported by this Jinja subset");
        ExpectEnd();
        var (body, end, _) = ParseBody(["else", "endfor"]);
        IReadOnlyList<Node>? elseBody = null;
        ExpectEnd();
        if (end == "else")
        {
            (elseBody, _, _) = ParseBody(["endfor"]);
            ExpectEnd();
        }
        return new ForNode(targets, iterable, filter, body, elseBody, line);
    }

    private Node ParseSet(int line)
    {
        var targets = new List<string> { ExpectName() };
        string? attribute = null;
        if (TryTake("."))
            attribute = ExpectName();
        else
            while (TryTake(","))
                targets.Add(ExpectName());
        if (Peek().Kind == TokenKind.End && attribute is null && targets.Count == 1)
        {
            ExpectEnd();
            var (body, _, _) = ParseBody(["endset"]);
            ExpectEnd();
            return new SetBlockNode(targets[0], body, line);
        }
        Expect("=");
        var value = ParseTuple();
        ExpectEnd();
        return new SetNode(targets, attribute, value, line);
    }

    private GenerationNode ParseGeneration(int line)
    {
        ExpectEnd();
        var (body, _, _) = ParseBody(["endgeneration"]);
        ExpectEnd();
        return new GenerationNode(body, line);
    }

    // `a, b` on the right of a set builds a list (Jinja's tuple).
    private Expr ParseTuple()
    {
        var first = ParseExpression();
        if (!Peek().Is(","))
            return first;
        var items = new List<Expr> { first };
        while (TryTake(","))
            items.Add(ParseExpression());
        return new ListExpr(items, first.Line);
    }

    public Expr ParseExpression()
    {
        var value = ParseOr();
        if (Peek().IsName("if"))
        {
            int line = Take().Line;
            var condition = ParseOr();
            Expr? otherwise = null;
            if (Peek().IsName("else"))
            {
                Take();
                otherwise = ParseExpression();
            }
            return new ConditionalExpr(condition, value, otherwise, line);
        }
        return value;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Peek().IsName("or"))
        {
            int line = Take().Line;
            left = new LogicalExpr("or", left, ParseAnd(), line);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Peek().IsName("and"))
        {
            int line = Take().Line;
            left = new LogicalExpr("and", left, ParseNot(), line);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (Peek().IsName("not"))
        {
            int line = Take().Line;
            return new UnaryExpr("not", ParseNot(), line);
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var first = ParseConcat();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            var t = Peek();
            if (t.Kind == TokenKind.Operator && t.Text is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                Take();
                rest.Add((t.Text, ParseConcat()));
            }
            else if (t.IsName("in"))
            {
                Take();
                rest.Add(("in", ParseConcat()));
            }
            else if (t.IsName("not") && PeekAt(1).IsName("in"))
            {
                Take();
                Take();
                rest.Add(("not in", ParseConcat()));
            }
            else
                break;
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, first.Line);
    }

    private Expr ParseConcat()
    {
        var left = ParseSum();
        while (Peek().Is("~"))
        {
            int line = Take().Line;
            left = new BinaryExpr("~", left, ParseSum(), line);
        }
        return left;
    }

    private Expr ParseSum()
    {
        var left = ParseProduct();
        while (Peek().Is("+") || Peek().Is("-"))
        {
            var op = Take();
            left = new BinaryExpr(op.Text, left, ParseProduct(), op.Line);
        }
        return left;
    }

    private Expr ParseProduct()
    {
        var left = ParsePower();
        while (Peek().Is("*") || Peek().Is("/") || Peek().Is("//") || Peek().Is("%"))
        {
            var op = Take();
            left = new BinaryExpr(op.Text, left, ParsePower(), op.Line);
        }
        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary();
        while (Peek().Is("**"))
        {
            var op = Take();
            left = new BinaryExpr("**", left, ParseUnary(), op.Line);
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (Peek().Is("-") || Peek().Is("+"))
        {
            var op = Take();
            return ParseFilters(new UnaryExpr(op.Text, ParseUnaryNoFilter(), op.Line));
        }
        return ParseFilters(ParsePostfix(ParsePrimary()));
    }

    private Expr ParseUnaryNoFilter()
    {
        if (Peek().Is("-") || Peek().Is("+"))
        {
            var op = Take();
            return new UnaryExpr(op.Text, ParseUnaryNoFilter(), op.Line);
        }
        return ParsePostfix(ParsePrimary());
    }

    private Expr ParsePrimary()
    {
        var t = Take();
        switch (t.Kind)
        {
            case TokenKind.String:
                // Adjacent string literals concatenate, as in Python.
                string s = (string)t.Value!;
                while (Peek().Kind == TokenKind.String)
                    s += (string)Take().Value!;
                return new LiteralExpr(s, t.Line);
            case TokenKind.Integer or TokenKind.Float:
                return new LiteralExpr(t.Value, t.Line);
            case TokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Line),
                    "false" or "False" => new LiteralExpr(false, t.Line),
                    "none" or "None" => new LiteralExpr(null, t.Line),
                    _ => new NameExpr(t.Text, t.Line),
                };
            case TokenKind.Operator when t.Text == "(":
                var inner = ParseTupleOrExpression(")");
                Expect(")");
                return inner;
            case TokenKind.Operator when t.Text == "[":
                var items = new List<Expr>();
                while (!Peek().Is("]"))
                {
                    items.Add(ParseExpression());
                    if (!TryTake(","))
                        break;
                }
                Expect("]");
                return new ListExpr(items, t.Line);
            case TokenKind.Operator when t.Text == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!Peek().Is("}"))
                {
                    var key = ParseExpression();
                    Expect(":");
                    pairs.Add((key, ParseExpression()));
                    if (!TryTake(","))
                        break;
                }
                Expect("}");
                return new DictExpr(pairs, t.Line);
            default:
                throw Error(t, $"expected a value, found {t}");
        }
    }

    // `(a)` is a value, `(a, b)` a tuple (a list here).
    private Expr ParseTupleOrExpression(string close)
    {
        if (Peek().Is(close))
            return new ListExpr([], Peek().Line);
        var first = ParseExpression();
        if (!Peek().Is(","))
            return first;
        var items = new List<Expr> { first };
        while (TryTake(",") && !Peek().Is(close))
            items.Add(ParseExpression());
        return new ListExpr(items, first.Line);
    }

    private Expr ParsePostfix(Expr target)
    {
        while (true)
        {
            var t = Peek();
            if (t.Is("."))
            {
                Take();
                var name = Take();
                if (name.Kind is not (TokenKind.Name or TokenKind.Integer))
                    throw Error(name, $"expected an attribute name after '.', found {name}");
                target = name.Kind == TokenKind.Integer
                    ? new IndexExpr(target, new LiteralExpr(name.Value, name.Line), name.Line)
                    : new AttributeExpr(target, name.Text, name.Line);
            }
            else if (t.Is("["))
            {
                Take();
                target = ParseSubscript(target, t.Line);
            }
            else if (t.Is("("))
            {
                Take();
                var (args, kwargs) = ParseArguments();
                target = new CallExpr(target, args, kwargs, t.Line);
            }
            else
                return target;
        }
    }

    private Expr ParseSubscript(Expr target, int line)
    {
        Expr? start = null, stop = null, step = null;
        if (!Peek().Is(":"))
        {
            start = ParseExpression();
            if (TryTake("]"))
                return new IndexExpr(target, start, line);
        }
        Expect(":");
        if (!Peek().Is(":") && !Peek().Is("]"))
            stop = ParseExpression();
        if (TryTake(":") && !Peek().Is("]"))
            step = ParseExpression();
        Expect("]");
        return new SliceExpr(target, start, stop, step, line);
    }

    // After '(' : positional and keyword arguments up to ')'.
    private (List<Expr> Args, List<(string, Expr)> Kwargs) ParseArguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Peek().Is(")"))
        {
            if (Peek().Kind == TokenKind.Name && PeekAt(1).Is("="))
            {
                string name = Take().Text;
                Take();
                kwargs.Add((name, ParseExpression()));
            }
            else
            {
                if (kwargs.Count > 0)
                    throw Error(Peek(), "a positional argument follows a keyword argument");
                args.Add(ParseExpression());
            }
            if (!TryTake(","))
                break;
        }
        Expect(")");
        return (args, kwargs);
    }

    private Expr ParseFilters(Expr value)
    {
        while (true)
        {
            if (Peek().Is("|"))
            {
                int line = Take().Line;
                var nameToken = Peek();
                string name = ExpectName();
                if (!JinjaBuiltins.FilterNames.Contains(name))
                    throw Error(nameToken, $"the filter '{name}' is not supported by this Jinja subset");
                List<Expr> args = [];
                List<(string, Expr)> kwargs = [];
                if (TryTake("("))
                    (args, kwargs) = ParseArguments();
                value = new FilterExpr(value, name, args, kwargs, line);
            }
            else if (Peek().IsName("is"))
            {
                int line = Take().Line;
                bool negated = false;
                if (Peek().IsName("not"))
                {
                    Take();
                    negated = true;
                }
                var nameToken = Take();
                string name = nameToken.Kind switch
                {
                    TokenKind.Name => nameToken.Text,
                    TokenKind.Operator when nameToken.Text is "==" or "!=" or "<" or "<=" or ">" or ">=" => nameToken.Text,
                    _ => throw Error(nameToken, $"expected a test name after 'is', found {nameToken}"),
                };
                if (name is "none" or "true" or "false" or "True" or "False" or "None")
                    name = name.ToLowerInvariant();
                if (!JinjaBuiltins.TestNames.Contains(name))
                    throw Error(nameToken, $"the test '{name}' is not supported by this Jinja subset");
                var args = new List<Expr>();
                if (TryTake("("))
                    args = ParseArguments().Args;
                else if (StartsValue(Peek()))
                    args.Add(ParsePostfix(ParsePrimary())); // `x is divisibleby 3`
                value = new TestExpr(value, name, args, negated, line);
            }
            else
                return value;
        }
    }

    private static bool StartsValue(Token t) =>
        t.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
        || t.Kind == TokenKind.Name && t.Text is not ("and" or "or" or "if" or "else" or "in" or "not" or "is")
        || t.Is("[") || t.Is("{");

    private Token Peek() => _tokens[Math.Min(_at, _tokens.Length - 1)];

    private Token PeekAt(int offset) => _tokens[Math.Min(_at + offset, _tokens.Length - 1)];

    private Token Take()
    {
        var t = Peek();
        if (_at < _tokens.Length - 1)
            _at++;
        return t;
    }

    private bool TryTake(string op)
    {
        if (!Peek().Is(op))
            return false;
        Take();
        return true;
    }

    private void Expect(string op)
    {
        var t = Take();
        if (!t.Is(op))
            throw Error(t, $"expected '{op}', found {t}");
    }

    private string ExpectName()
    {
        var t = Take();
        if (t.Kind != TokenKind.Name)
            throw Error(t, $"expected a name, found {t}");
        return t.Text;
    }

    private void ExpectEnd()
    {
        var t = Peek();
        if (t.Kind != TokenKind.End)
            throw Error(t, $"expected the end of the tag, found {t}");
    }

    private ChatTemplateException Error(Token t, string message) => new(_origin, t.Line, message);
}
