using System.Globalization;
using System.Text;

namespace SliceGpt.Extensions.AI.Jinja;

internal enum TokenKind { Name, String, Integer, Float, Operator, End }

/// <summary>One token of an expression inside <c>{{ }}</c> or <c>{% %}</c>.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, object? Value, int Line)
{
    public bool Is(string op) => Kind == TokenKind.Operator && Text == op;

    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    public override string ToString() => Kind == TokenKind.End ? "the end of the tag" : $"'{Text}'";
}

internal enum TagKind { Output, Statement }

/// <summary>A piece of the template: literal text, or a tag with its expression tokens (ending with an End token).</summary>
internal abstract record Segment(int Line);

internal sealed record TextSegment(string Text, int Line) : Segment(Line);

internal sealed record TagSegment(TagKind Kind, Token[] Tokens, int Line) : Segment(Line);

/// <summary>
/// Splits a template into text and tags, with Hugging Face's environment: <c>trim_blocks</c> (the first newline after a
/// block or comment tag is removed), <c>lstrip_blocks</c> (spaces and tabs from the start of a line to a block or comment
/// tag are removed), <c>-</c> and <c>+</c> whitespace control on every tag, and one trailing newline of the source
/// dropped (<c>keep_trailing_newline=False</c>), as Jinja2's lexer does.
/// </summary>
internal sealed class JinjaLexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    private readonly string _source;
    private readonly string _origin;
    private int _pos;
    private int _line = 1;

    private JinjaLexer(string source, string origin)
    {
        source = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (source.EndsWith('\n'))
            source = source[..^1];
        _source = source;
        _origin = origin;
    }

    public static List<Segment> Tokenize(string source, string origin) => new JinjaLexer(source, origin).Run();

    private List<Segment> Run()
    {
        var raw = new List<(Segment Segment, char Left, char Right, bool IsBlock)>();
        var text = new StringBuilder();
        int textLine = _line;
        while (_pos < _source.Length)
        {
            int open = FindOpening(_pos);
            if (open < 0)
            {
                text.Append(_source, _pos, _source.Length - _pos);
                Advance(_source.Length);
                break;
            }
            text.Append(_source, _pos, open - _pos);
            Advance(open);
            raw.Add((new TextSegment(text.ToString(), textLine), ' ', ' ', false));
            text.Clear();
            char kind = _source[_pos + 1];
            int tagLine = _line;
            Advance(_pos + 2);
            char left = _pos < _source.Length && _source[_pos] is '-' or '+' ? _source[_pos] : ' ';
            if (left != ' ')
                Advance(_pos + 1);
            char right;
            if (kind == '#')
            {
                int close = _source.IndexOf("#}", _pos, StringComparison.Ordinal);
                if (close < 0)
                    throw Error(tagLine, "a comment {# is never closed");
                right = close > _pos && _source[close - 1] is '-' or '+' ? _source[close - 1] : ' ';
                Advance(close + 2);
                raw.Add((new TextSegment("", tagLine), left, right, true)); // a comment: nothing, but it strips like a block
            }
            else
            {
                var tokens = ReadTag(kind == '{' ? "}}" : "%}", tagLine, out right);
                raw.Add((new TagSegment(kind == '{' ? TagKind.Output : TagKind.Statement, tokens, tagLine), left, right, kind == '%'));
            }
            textLine = _line;
        }
        raw.Add((new TextSegment(text.ToString(), textLine), ' ', ' ', false));
        return ApplyWhitespaceControl(raw);
    }

    // Text segments alternate with tags (raw[0], raw[2], ... are text). Comments become empty text that strips like a tag.
    private static List<Segment> ApplyWhitespaceControl(List<(Segment Segment, char Left, char Right, bool IsBlock)> raw)
    {
        var texts = new string?[raw.Count];
        for (int i = 0; i < raw.Count; i++)
            if (raw[i].Segment is TextSegment t && (i % 2 == 0))
                texts[i] = t.Text;
        bool lineStarting = true;
        for (int i = 1; i < raw.Count; i += 2)
        {
            var (_, left, right, isBlock) = raw[i];
            string before = texts[i - 1]!;
            if (left == '-')
                before = before.TrimEnd();
            else if (isBlock && left != '+')
            {
                int lineStart = before.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && before.AsSpan(lineStart).Trim(" \t").IsEmpty)
                    before = before[..lineStart];
            }
            texts[i - 1] = before;
            string after = texts[i + 1]!;
            if (right == '-')
            {
                string trimmed = after.TrimStart();
                lineStarting = after.Length > trimmed.Length && after[after.Length - trimmed.Length - 1] == '\n';
                after = trimmed;
            }
            else if (isBlock && right != '+' && after.StartsWith('\n'))
            {
                after = after[1..];
                lineStarting = true;
            }
            else
                lineStarting = false;
            texts[i + 1] = after;
        }
        var segments = new List<Segment>(raw.Count);
        for (int i = 0; i < raw.Count; i++)
        {
            if (i % 2 == 0)
            {
                if (texts[i]!.Length > 0)
                    segments.Add(new TextSegment(texts[i]!, raw[i].Segment.Line));
            }
            else if (raw[i].Segment is TagSegment tag)
                segments.Add(tag);
        }
        return segments;
    }

    private int FindOpening(int from)
    {
        for (int i = from; i + 1 < _source.Length; i++)
            if (_source[i] == '{' && _source[i + 1] is '{' or '%' or '#')
                return i;
        return -1;
    }

    private void Advance(int to)
    {
        for (int i = _pos; i < to; i++)
            if (_source[i] == '\n')
                _line++;
        _pos = to;
    }

    private Token[] ReadTag(string close, int tagLine, out char right)
    {
        var tokens = new List<Token>();
        int depth = 0; // open ( [ {: a '}}' inside a dict literal does not close the tag
        while (true)
        {
            while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
                Advance(_pos + 1);
            if (_pos >= _source.Length)
                throw Error(tagLine, $"a tag is never closed (expected '{close}')");
            if (depth == 0)
            {
                foreach (char c in "-+")
                    if (string.CompareOrdinal(_source, _pos, c + close, 0, 3) == 0)
                    {
                        right = c;
                        Advance(_pos + 3);
                        tokens.Add(new Token(TokenKind.End, "", null, _line));
                        return [.. tokens];
                    }
                if (string.CompareOrdinal(_source, _pos, close, 0, 2) == 0)
                {
                    right = ' ';
                    Advance(_pos + 2);
                    tokens.Add(new Token(TokenKind.End, "", null, _line));
                    return [.. tokens];
                }
            }
            var token = ReadToken();
            if (token.Kind == TokenKind.Operator)
            {
                if (token.Text is "(" or "[" or "{")
                    depth++;
                else if (token.Text is ")" or "]" or "}")
                    depth = Math.Max(0, depth - 1);
            }
            tokens.Add(token);
        }
    }

    private Token ReadToken()
    {
        char c = _source[_pos];
        int line = _line;
        if (c is '\'' or '"')
            return ReadString(c, line);
        if (char.IsAsciiDigit(c))
        {
            int start = _pos;
            while (_pos < _source.Length && (char.IsAsciiDigit(_source[_pos]) || _source[_pos] == '_'))
                _pos++;
            bool isFloat = false;
            if (_pos + 1 < _source.Length && _source[_pos] == '.' && char.IsAsciiDigit(_source[_pos + 1]))
            {
                isFloat = true;
                _pos++;
                while (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
                    _pos++;
            }
            if (_pos < _source.Length && _source[_pos] is 'e' or 'E')
            {
                int mark = _pos++;
                if (_pos < _source.Length && _source[_pos] is '+' or '-')
                    _pos++;
                if (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
                {
                    isFloat = true;
                    while (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
                        _pos++;
                }
                else
                    _pos = mark;
            }
            string text = _source[start.._pos].Replace("_", "");
            return isFloat
                ? new Token(TokenKind.Float, text, double.Parse(text, CultureInfo.InvariantCulture), line)
                : new Token(TokenKind.Integer, text, long.Parse(text, CultureInfo.InvariantCulture), line);
        }
        if (char.IsLetter(c) || c == '_')
        {
            int start = _pos;
            while (_pos < _source.Length && (char.IsLetterOrDigit(_source[_pos]) || _source[_pos] == '_'))
                _pos++;
            return new Token(TokenKind.Name, _source[start.._pos], null, line);
        }
        foreach (var op in Operators)
            if (string.CompareOrdinal(_source, _pos, op, 0, op.Length) == 0)
            {
                _pos += op.Length;
                return new Token(TokenKind.Operator, op, null, line);
            }
        throw Error(line, $"unexpected character '{c}'");
    }

    // Jinja string literals take Python's escapes (\n, \t, \\, \', \", \uXXXX ...).
    private Token ReadString(char quote, int line)
    {
        var value = new StringBuilder();
        int i = _pos + 1;
        while (true)
        {
            if (i >= _source.Length)
                throw Error(line, "a string literal is never closed");
            char c = _source[i];
            if (c == quote)
                break;
            if (c == '\\' && i + 1 < _source.Length)
            {
                char e = _source[i + 1];
                i += 2;
                switch (e)
                {
                    case 'n': value.Append('\n'); break;
                    case 't': value.Append('\t'); break;
                    case 'r': value.Append('\r'); break;
                    case '0': value.Append('\0'); break;
                    case '\\': value.Append('\\'); break;
                    case '\'': value.Append('\''); break;
                    case '"': value.Append('"'); break;
                    case '\n': break;
                    case 'x' or 'u' or 'U':
                        int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                        if (i + digits > _source.Length || !int.TryParse(_source.AsSpan(i, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                            throw Error(line, $"a bad \\{e} escape in a string literal");
                        value.Append(char.ConvertFromUtf32(code));
                        i += digits;
                        break;
                    default: value.Append('\\').Append(e); break; // Python keeps unknown escapes as they are
                }
                continue;
            }
            value.Append(c);
            i++;
        }
        string text = _source[_pos..(i + 1)];
        Advance(i + 1);
        return new Token(TokenKind.String, text, value.ToString(), line);
    }

    private ChatTemplateException Error(int line, string message) => new(_origin, line, message);
}
