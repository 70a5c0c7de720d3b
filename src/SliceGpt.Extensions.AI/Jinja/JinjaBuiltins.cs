using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using static SliceGpt.Extensions.AI.Jinja.JinjaValues;

namespace SliceGpt.Extensions.AI.Jinja;

/// <summary>
/// The filters, tests, global functions and methods that Hugging Face chat templates use, with Python's behaviour.
/// <c>tojson</c> is Hugging Face's (<c>json.dumps</c> with <c>ensure_ascii=False</c>), not Jinja's HTML-safe one.
/// </summary>
internal static class JinjaBuiltins
{
    private static readonly IReadOnlyDictionary<string, object?> NoKwargs = new Dictionary<string, object?>();

    /// <summary>The filters <see cref="Filter"/> knows; the parser refuses others, as Jinja does at compile time.</summary>
    public static readonly HashSet<string> FilterNames =
    [
        "default", "d", "trim", "length", "count", "upper", "lower", "title", "capitalize", "string", "list", "first", "last",
        "reverse", "join", "int", "float", "abs", "replace", "tojson", "items", "safe", "selectattr", "rejectattr", "map",
    ];

    /// <summary>The tests <see cref="Test"/> knows.</summary>
    public static readonly HashSet<string> TestNames =
    [
        "defined", "undefined", "none", "boolean", "true", "false", "string", "number", "integer", "float", "mapping", "sequence",
        "iterable", "callable", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=",
        "gt", "greaterthan", ">", "ge", ">=", "in", "sameas", "lower", "upper",
    ];

    public static object? Filter(string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        object? Arg(int i, string key, object? fallback = null) =>
            i < args.Count ? args[i] : kwargs.TryGetValue(key, out var v) ? v : fallback;
        if (value is Undefined u && name is not ("default" or "d" or "string" or "length" or "count" or "list"))
            throw new JinjaError($"'{u.Name}' is undefined");
        switch (name)
        {
            case "default" or "d":
                var fallback = Arg(0, "default_value", "");
                bool boolean = IsTrue(Arg(1, "boolean", false));
                return value is Undefined || boolean && !IsTrue(value) ? fallback : value;
            case "trim":
                return Arg(0, "chars") is string chars ? ToStr(value).Trim(chars.ToCharArray()) : ToStr(value).Trim();
            case "length" or "count":
                return (long)(value switch
                {
                    string s => s.EnumerateRunes().Count(),
                    List<object?> list => list.Count,
                    Dictionary<string, object?> dict => dict.Count,
                    Undefined => 0,
                    _ => throw new JinjaError($"{TypeName(value)} has no length"),
                });
            case "upper":
                return ToStr(value).ToUpperInvariant();
            case "lower":
                return ToStr(value).ToLowerInvariant();
            case "title":
                return Title(ToStr(value));
            case "capitalize":
                return Capitalize(ToStr(value));
            case "string":
                return ToStr(value);
            case "list":
                return value is Undefined ? new List<object?>() : new List<object?>(Iterate(value));
            case "first":
                var firstItems = Iterate(value);
                return firstItems.Count > 0 ? firstItems[0] : new Undefined("first item");
            case "last":
                var lastItems = Iterate(value);
                return lastItems.Count > 0 ? lastItems[^1] : new Undefined("last item");
            case "reverse":
                var reversed = Iterate(value);
                reversed = [.. reversed.AsEnumerable().Reverse()];
                return value is string ? string.Concat(reversed.Cast<string>()) : reversed;
            case "join":
                string separator = ToStr(Arg(0, "d", ""));
                var joined = Iterate(value).Select(x => Arg(1, "attribute") is string attribute ? Attribute(x, attribute) : x);
                return string.Join(separator, joined.Select(ToStr));
            case "int":
                return value switch
                {
                    string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) => l,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => (long)d,
                    long or double or bool => ToLong(value),
                    _ => Arg(0, "default", 0L),
                };
            case "float":
                return value switch
                {
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
                    long or double or bool => ToDouble(value),
                    _ => Arg(0, "default", 0.0),
                };
            case "abs":
                return value is double d2 ? Math.Abs(d2) : (object)Math.Abs(ToLong(value));
            case "replace":
                return Replace(ToStr(value), ToStr(Arg(0, "old")), ToStr(Arg(1, "new")), Arg(2, "count"));
            case "tojson":
                return ToJson(value, Arg(0, "indent") is { } indent ? (int)ToLong(indent) : null);
            case "items":
                return value is Dictionary<string, object?> itemsDict
                    ? itemsDict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()
                    : throw new JinjaError($"items needs a dict, not {TypeName(value)}");
            case "safe":
                return value;
            case "selectattr" or "rejectattr":
                return SelectAttribute(value, args, name == "selectattr");
            case "map":
                if (kwargs.TryGetValue("attribute", out var mapAttribute))
                    return Iterate(value).Select(x => Attribute(x, ToStr(mapAttribute)) is Undefined && kwargs.TryGetValue("default", out var d) ? d : Attribute(x, ToStr(mapAttribute))).ToList();
                if (args.Count > 0 && args[0] is string filterName)
                    return Iterate(value).Select(x => Filter(filterName, x, args.Skip(1).ToList(), NoKwargs)).ToList();
                throw new JinjaError("map needs attribute=... or a filter name");
            default:
                throw new JinjaError($"the filter '{name}' is not supported by this Jinja subset");
        }
    }

    public static bool Test(string name, object? value, IReadOnlyList<object?> args)
    {
        object? Arg() => args.Count > 0 ? args[0] : throw new JinjaError($"the test '{name}' needs an argument");
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "string" => value is string,
            "number" => value is long or double,
            "integer" => value is long,
            "float" => value is double,
            "mapping" => value is Dictionary<string, object?>,
            "sequence" or "iterable" => value is string or List<object?> or Dictionary<string, object?>,
            "callable" => value is JinjaFunction,
            "odd" => ToLong(value) % 2 != 0,
            "even" => ToLong(value) % 2 == 0,
            "divisibleby" => ToLong(value) % ToLong(Arg()) == 0,
            "eq" or "equalto" or "==" => AreEqual(value, Arg()),
            "ne" or "!=" => !AreEqual(value, Arg()),
            "lt" or "lessthan" or "<" => Compare(value, Arg(), "<") < 0,
            "le" or "<=" => Compare(value, Arg(), "<=") <= 0,
            "gt" or "greaterthan" or ">" => Compare(value, Arg(), ">") > 0,
            "ge" or ">=" => Compare(value, Arg(), ">=") >= 0,
            "in" => Contains(Arg(), value),
            "sameas" => value is null && Arg() is null || value is bool b && Arg() is bool c && b == c || ReferenceEquals(value, Arg()),
            "lower" => value is string s && s == s.ToLowerInvariant(),
            "upper" => value is string s2 && s2 == s2.ToUpperInvariant(),
            _ => throw new JinjaError($"the test '{name}' is not supported by this Jinja subset"),
        };
    }

    /// <summary><c>x.name</c>: a dict's key, a namespace's or the loop's attribute, or a method of a string or dict.</summary>
    public static object? Attribute(object? target, string name) => target switch
    {
        Undefined u => throw new JinjaError($"'{u.Name}' is undefined (reading .{name})"),
        Dictionary<string, object?> dict => dict.TryGetValue(name, out var v) ? v : (object?)DictMethod(dict, name) ?? new Undefined(name),
        JinjaNamespace ns => ns.Attributes.TryGetValue(name, out var v) ? v : new Undefined(name),
        LoopContext loop => loop.Get(name),
        string s => (object?)StringMethod(s, name) ?? new Undefined(name),
        List<object?> when name is "append" or "extend" or "insert" or "pop" or "remove" or "clear" or "sort" or "reverse" =>
            throw new JinjaError($"lists are immutable in chat templates (.{name})"),
        _ => new Undefined(name),
    };

    /// <summary><c>x[key]</c>: a dict's key, a list's or string's index (negative from the end), else an attribute.</summary>
    public static object? Item(object? target, object? key)
    {
        switch (target)
        {
            case Undefined u:
                throw new JinjaError($"'{u.Name}' is undefined (indexing it with {ToStr(key)})");
            case Dictionary<string, object?> dict when key is string k:
                return dict.TryGetValue(k, out var v) ? v : new Undefined(k);
            case List<object?> list when key is long or bool:
                long i = ToLong(key);
                if (i < 0)
                    i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"index {ToLong(key)}");
            case string s when key is long or bool:
                var chars = StringElements(s);
                long j = ToLong(key);
                if (j < 0)
                    j += chars.Count;
                return j >= 0 && j < chars.Count ? chars[(int)j] : new Undefined($"index {ToLong(key)}");
            default:
                return key is string name ? Attribute(target, name) : new Undefined(ToStr(key));
        }
    }

    public static Dictionary<string, object?> Globals() => new()
    {
        ["raise_exception"] = new JinjaFunction("raise_exception", (args, _) =>
            throw new TemplateRaisedException(args.Count > 0 ? ToStr(args[0]) : "raise_exception was called")),
        ["range"] = new JinjaFunction("range", (args, _) => Range(args)),
        ["namespace"] = new JinjaFunction("namespace", (args, kwargs) =>
        {
            var ns = new JinjaNamespace();
            if (args.Count > 0 && args[0] is Dictionary<string, object?> initial)
                foreach (var (k, v) in initial)
                    ns.Attributes[k] = v;
            foreach (var (k, v) in kwargs)
                ns.Attributes[k] = v;
            return ns;
        }),
        ["dict"] = new JinjaFunction("dict", (_, kwargs) => new Dictionary<string, object?>(kwargs)),
        ["strftime_now"] = new JinjaFunction("strftime_now", (args, _) => StrfTime(DateTime.Now, ToStr(args.Count > 0 ? args[0] : ""))),
    };

    private static JinjaFunction? DictMethod(Dictionary<string, object?> dict, string name) => name switch
    {
        "get" => new JinjaFunction("get", (args, _) =>
            args.Count > 0 && args[0] is string key && dict.TryGetValue(key, out var v) ? v : args.Count > 1 ? args[1] : null),
        "items" => new JinjaFunction("items", (_, _) => dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()),
        "keys" => new JinjaFunction("keys", (_, _) => dict.Keys.Cast<object?>().ToList()),
        "values" => new JinjaFunction("values", (_, _) => dict.Values.ToList()),
        _ => null,
    };

    private static JinjaFunction? StringMethod(string s, string name)
    {
        char[]? Chars(IReadOnlyList<object?> args) => args.Count > 0 && args[0] is string c ? c.ToCharArray() : null;
        Func<IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?>? f = name switch
        {
            "strip" => (a, _) => Chars(a) is { } c ? s.Trim(c) : s.Trim(),
            "lstrip" => (a, _) => Chars(a) is { } c ? s.TrimStart(c) : s.TrimStart(),
            "rstrip" => (a, _) => Chars(a) is { } c ? s.TrimEnd(c) : s.TrimEnd(),
            "upper" => (_, _) => s.ToUpperInvariant(),
            "lower" => (_, _) => s.ToLowerInvariant(),
            "title" => (_, _) => Title(s),
            "capitalize" => (_, _) => Capitalize(s),
            "startswith" => (a, _) => Affixes(a).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
            "endswith" => (a, _) => Affixes(a).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
            "split" => (a, _) => Split(s, a.Count > 0 ? a[0] as string : null, a.Count > 1 ? (int)ToLong(a[1]) : -1),
            "replace" => (a, _) => Replace(s, ToStr(a.ElementAtOrDefault(0)), ToStr(a.ElementAtOrDefault(1)), a.ElementAtOrDefault(2)),
            "join" => (a, _) => string.Join(s, Iterate(a.ElementAtOrDefault(0)).Select(ToStr)),
            "find" => (a, _) => (long)s.IndexOf(ToStr(a.ElementAtOrDefault(0)), StringComparison.Ordinal),
            "count" => (a, _) => (long)CountOf(s, ToStr(a.ElementAtOrDefault(0))),
            _ => null,
        };
        return f is null ? null : new JinjaFunction("str." + name, f);
    }

    private static IEnumerable<string> Affixes(IReadOnlyList<object?> args) => args.Count == 0
        ? throw new JinjaError("startswith/endswith need an argument")
        : args[0] is List<object?> options ? options.Select(ToStr) : [ToStr(args[0])];

    private static long CountOf(string s, string sub)
    {
        if (sub.Length == 0)
            return s.Length + 1;
        long n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
            n++;
        return n;
    }

    // Python's str.split: no separator splits on runs of whitespace and drops empty pieces.
    private static List<object?> Split(string s, string? separator, int maxSplit)
    {
        if (separator is null)
        {
            var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxSplit >= 0 && parts.Length > maxSplit + 1)
            {
                var head = s.TrimStart().Split((char[]?)null, maxSplit + 1, StringSplitOptions.RemoveEmptyEntries);
                head[^1] = head[^1].TrimStart();
                return [.. head];
            }
            return [.. parts];
        }
        if (separator.Length == 0)
            throw new JinjaError("split: empty separator");
        return [.. maxSplit >= 0 ? s.Split(separator, maxSplit + 1) : s.Split(separator)];
    }

    private static string Replace(string s, string old, string replacement, object? count)
    {
        if (count is null || ToLong(count) < 0)
            return old.Length == 0 ? s : s.Replace(old, replacement, StringComparison.Ordinal);
        var result = new StringBuilder();
        int at = 0;
        for (long n = ToLong(count); n > 0 && old.Length > 0; n--)
        {
            int found = s.IndexOf(old, at, StringComparison.Ordinal);
            if (found < 0)
                break;
            result.Append(s, at, found - at).Append(replacement);
            at = found + old.Length;
        }
        return result.Append(s, at, s.Length - at).ToString();
    }

    // Python's str.title: a letter after a non-letter is upper case, every other letter lower case.
    private static string Title(string s)
    {
        var result = new StringBuilder(s.Length);
        bool previousIsLetter = false;
        foreach (char c in s)
        {
            result.Append(previousIsLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousIsLetter = char.IsLetter(c);
        }
        return result.ToString();
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static List<object?> Range(IReadOnlyList<object?> args)
    {
        long start = 0, stop, step = 1;
        switch (args.Count)
        {
            case 1: stop = ToLong(args[0]); break;
            case 2: start = ToLong(args[0]); stop = ToLong(args[1]); break;
            case 3: start = ToLong(args[0]); stop = ToLong(args[1]); step = ToLong(args[2]); break;
            default: throw new JinjaError("range takes 1 to 3 arguments");
        }
        if (step == 0)
            throw new JinjaError("range step cannot be zero");
        var items = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            items.Add(i);
            if (items.Count > 1_000_000)
                throw new JinjaError("range is too long");
        }
        return items;
    }

    private static List<object?> SelectAttribute(object? value, IReadOnlyList<object?> args, bool select)
    {
        if (args.Count == 0)
            throw new JinjaError("selectattr/rejectattr need an attribute name");
        string attribute = ToStr(args[0]);
        var result = new List<object?>();
        foreach (var item in Iterate(value))
        {
            var field = Attribute(item, attribute);
            bool passes = args.Count > 1 ? Test(ToStr(args[1]), field, args.Skip(2).ToList()) : IsTrue(field);
            if (passes == select)
                result.Add(item);
        }
        return result;
    }

    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // json.dumps(value, ensure_ascii=False, indent=indent): ", " and ": " separators without an indent, "," and ": " with one.
    public static string ToJson(object? value, int? indent)
    {
        var sb = new StringBuilder();
        WriteJson(sb, value, indent, 0);
        return sb.ToString();
    }

    private static void WriteJson(StringBuilder sb, object? value, int? indent, int depth)
    {
        switch (value)
        {
            case null or Undefined:
                sb.Append("null");
                return;
            case bool b:
                sb.Append(b ? "true" : "false");
                return;
            case long or double:
                sb.Append(ToStr(value));
                return;
            case string s:
                sb.Append(JsonString(s));
                return;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list.Count, indent, depth, i => WriteJson(sb, list[i], indent, depth + 1));
                return;
            case Dictionary<string, object?> dict:
                var pairs = dict.ToList();
                WriteContainer(sb, '{', '}', pairs.Count, indent, depth, i =>
                {
                    sb.Append(JsonString(pairs[i].Key)).Append(": ");
                    WriteJson(sb, pairs[i].Value, indent, depth + 1);
                });
                return;
            case JinjaNamespace ns:
                WriteJson(sb, new Dictionary<string, object?>(ns.Attributes), indent, depth);
                return;
            default:
                throw new JinjaError($"{TypeName(value)} cannot be written as JSON");
        }
    }

    private static void WriteContainer(StringBuilder sb, char open, char close, int count, int? indent, int depth, Action<int> item)
    {
        sb.Append(open);
        if (count == 0)
        {
            sb.Append(close);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            if (indent is int n)
                sb.Append(i == 0 ? "" : ",").Append('\n').Append(' ', n * (depth + 1));
            else if (i > 0)
                sb.Append(", ");
            item(i);
        }
        if (indent is int m)
            sb.Append('\n').Append(' ', m * depth);
        sb.Append(close);
    }

    private static string JsonString(string s)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Compact))
            writer.WriteStringValue(s);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    // Python's strftime for the codes templates use (e.g. Llama 3.1's "%d %b %Y"); the C locale's names.
    private static string StrfTime(DateTime t, string format)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            char code = format[++i];
            var c = CultureInfo.InvariantCulture;
            sb.Append(code switch
            {
                'Y' => t.ToString("yyyy", c),
                'y' => t.ToString("yy", c),
                'm' => t.ToString("MM", c),
                'd' => t.ToString("dd", c),
                'H' => t.ToString("HH", c),
                'I' => t.ToString("hh", c),
                'M' => t.ToString("mm", c),
                'S' => t.ToString("ss", c),
                'p' => t.ToString("tt", c),
                'b' => t.ToString("MMM", c),
                'B' => t.ToString("MMMM", c),
                'a' => t.ToString("ddd", c),
                'A' => t.ToString("dddd", c),
                'j' => t.DayOfYear.ToString("000", c),
                '%' => "%",
                _ => throw new JinjaError($"strftime_now: the code %{code} is not supported"),
            });
        }
        return sb.ToString();
    }
}

/// <summary>The template called <c>raise_exception</c>: the messages break one of its rules.</summary>
internal sealed class TemplateRaisedException(string message) : Exception(message);
