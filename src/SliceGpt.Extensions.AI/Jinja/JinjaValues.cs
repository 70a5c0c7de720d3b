using System.Globalization;
using System.Text;

namespace SliceGpt.Extensions.AI.Jinja;

/// <summary>A name or member that does not exist: renders as "", is false, iterates as nothing; anything more is an error.</summary>
internal sealed class Undefined(string name)
{
    public string Name { get; } = name;
}

/// <summary>A global function, filter helper or bound method: positional and keyword arguments in, a value out.</summary>
internal sealed class JinjaFunction(string name, Func<IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs) => invoke(args, kwargs);
}

/// <summary><c>namespace(...)</c>: the one mutable object a template has, so a loop can set what the code after it reads.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = [];
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;

    public int Index0 { get; set; }

    public object? Get(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)Index0 + 1,
        "revindex0" => (long)(Items.Count - Index0 - 1),
        "revindex" => (long)(Items.Count - Index0),
        "first" => Index0 == 0,
        "last" => Index0 == Items.Count - 1,
        "length" => (long)Items.Count,
        "previtem" => Index0 > 0 ? Items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 + 1 < Items.Count ? Items[Index0 + 1] : new Undefined("loop.nextitem"),
        "cycle" => new JinjaFunction("loop.cycle", (args, _) => args.Count == 0 ? throw new JinjaError("loop.cycle needs at least one value") : args[Index0 % args.Count]),
        _ => new Undefined("loop." + name),
    };
}

/// <summary>An error inside an expression; the interpreter adds the template and the line.</summary>
internal sealed class JinjaError(string message) : Exception(message);

/// <summary>Python's semantics for the values a template handles: none, bool, int (long), float (double), str, list, dict.</summary>
internal static class JinjaValues
{
    /// <summary>A caller's value in the template's forms: ints as long, floats as double, dictionaries and sequences copied.</summary>
    public static object? FromHost(object? v) => v switch
    {
        null or bool or long or double or string or JinjaNamespace or JinjaFunction => v,
        int or short or byte or sbyte or ushort or uint => Convert.ToInt64(v, CultureInfo.InvariantCulture),
        float or decimal => Convert.ToDouble(v, CultureInfo.InvariantCulture),
        System.Collections.IDictionary dict => dict.Keys.Cast<object>().ToDictionary(
            k => k as string ?? throw new ArgumentException($"template variables need string keys, not {k.GetType().Name}"), k => FromHost(dict[k])),
        System.Collections.IEnumerable items => items.Cast<object?>().Select(FromHost).ToList(),
        _ => throw new ArgumentException($"a {v.GetType().Name} cannot be a template variable"),
    };

    public static bool IsTrue(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        Dictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined u => $"undefined ('{u.Name}')",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        JinjaNamespace => "namespace",
        LoopContext => "loop",
        JinjaFunction f => $"function {f.Name}",
        _ => v.GetType().Name,
    };

    /// <summary>What <c>{{ v }}</c> prints: Python's <c>str()</c> (undefined prints nothing).</summary>
    public static string ToStr(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v, top: true),
    };

    private static string Repr(object? v, bool top = false) => v switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        string s => top ? s : "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
        Undefined => "",
        List<object?> list => "[" + string.Join(", ", list.Select(x => Repr(x))) + "]",
        Dictionary<string, object?> dict => "{" + string.Join(", ", dict.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        JinjaNamespace ns => "<Namespace " + string.Join(", ", ns.Attributes.Select(kv => kv.Key + "=" + Repr(kv.Value))) + ">",
        _ => TypeName(v),
    };

    private static string FormatFloat(double d)
    {
        if (double.IsNaN(d))
            return "nan";
        if (double.IsInfinity(d))
            return d > 0 ? "inf" : "-inf";
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s.Replace("E+", "e+").Replace("E-", "e-") : s + ".0";
    }

    public static bool AreEqual(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        return (a, b) switch
        {
            (null, null) => true,
            (Undefined, Undefined) => true,
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
            (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
                x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var other) && AreEqual(kv.Value, other)),
            _ => ReferenceEquals(a, b),
        };
    }

    /// <summary>Python's ordering of numbers with numbers and strings with strings; anything else is an error.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a).CompareTo(ToDouble(b)) : ToLong(a).CompareTo(ToLong(b));
        if (a is string x && b is string y)
            return string.CompareOrdinal(x, y);
        throw new JinjaError($"'{op}' is not supported between {TypeName(a)} and {TypeName(b)}");
    }

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new JinjaError($"'in <string>' requires a string on the left, not {TypeName(item)}"),
        List<object?> list => list.Any(x => AreEqual(x, item)),
        Dictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        JinjaNamespace ns => item is string key && ns.Attributes.ContainsKey(key),
        Undefined u => throw new JinjaError($"'{u.Name}' is undefined"),
        _ => throw new JinjaError($"'in' needs a string, list or dict on the right, not {TypeName(container)}"),
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new JinjaError($"expected a number, got {TypeName(v)}"),
    };

    public static double ToDouble(object? v) => v switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new JinjaError($"expected a number, got {TypeName(v)}"),
    };

    public static object? Binary(string op, object? a, object? b)
    {
        if (op == "~")
            return ToStr(a) + ToStr(b);
        if (a is Undefined ua)
            throw new JinjaError($"'{ua.Name}' is undefined");
        if (b is Undefined ub)
            throw new JinjaError($"'{ub.Name}' is undefined");
        switch (op)
        {
            case "+" when a is string x && b is string y:
                return x + y;
            case "+" when a is List<object?> x && b is List<object?> y:
                return new List<object?>([.. x, .. y]);
            case "*" when a is string s && b is long n:
                return n <= 0 ? "" : new StringBuilder().Insert(0, s, (int)n).ToString();
            case "*" when a is List<object?> list && b is long n:
                return Enumerable.Repeat(list, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
        }
        if (!IsNumber(a) || !IsNumber(b))
            throw new JinjaError($"unsupported operand types for {op}: {TypeName(a)} and {TypeName(b)}");
        bool integral = a is not double && b is not double;
        switch (op)
        {
            case "+": return integral ? (object)(ToLong(a) + ToLong(b)) : ToDouble(a) + ToDouble(b);
            case "-": return integral ? (object)(ToLong(a) - ToLong(b)) : ToDouble(a) - ToDouble(b);
            case "*": return integral ? (object)(ToLong(a) * ToLong(b)) : ToDouble(a) * ToDouble(b);
            case "/":
                if (ToDouble(b) == 0)
                    throw new JinjaError("division by zero");
                return ToDouble(a) / ToDouble(b);
            case "//":
                if (ToDouble(b) == 0)
                    throw new JinjaError("division by zero");
                return integral ? (object)FloorDiv(ToLong(a), ToLong(b)) : Math.Floor(ToDouble(a) / ToDouble(b));
            case "%":
                if (ToDouble(b) == 0)
                    throw new JinjaError("modulo by zero");
                if (integral)
                {
                    long r = ToLong(a) % ToLong(b);
                    return r != 0 && (r < 0) != (ToLong(b) < 0) ? (object)(r + ToLong(b)) : r;
                }
                double m = ToDouble(a) % ToDouble(b);
                return m != 0 && (m < 0) != (ToDouble(b) < 0) ? m + ToDouble(b) : m;
            case "**":
                return integral && ToLong(b) >= 0 ? (object)(long)Math.Pow(ToLong(a), ToLong(b)) : Math.Pow(ToDouble(a), ToDouble(b));
            default:
                throw new JinjaError($"unknown operator {op}");
        }
    }

    private static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }

    /// <summary>The items a for loop visits: a list's items, a dict's keys, a string's characters; undefined visits nothing.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> list => list,
        Dictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        string s => StringElements(s),
        Undefined => [],
        _ => throw new JinjaError($"{TypeName(v)} is not iterable"),
    };

    // A string's elements are its code points, as Python's (a surrogate pair is one).
    public static List<object?> StringElements(string s)
    {
        var items = new List<object?>(s.Length);
        foreach (var rune in s.EnumerateRunes())
            items.Add(rune.ToString());
        return items;
    }

    /// <summary>Python's <c>[start:stop:step]</c> on a list or string.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        List<object?> items = target switch
        {
            List<object?> list => list,
            string s => StringElements(s),
            Undefined u => throw new JinjaError($"'{u.Name}' is undefined"),
            _ => throw new JinjaError($"{TypeName(target)} cannot be sliced"),
        };
        int n = items.Count;
        long k = step is null ? 1 : ToLong(step);
        if (k == 0)
            throw new JinjaError("slice step cannot be zero");
        long Clamp(object? bound, long fallback)
        {
            if (bound is null)
                return fallback;
            long i = ToLong(bound);
            if (i < 0)
                i += n;
            return k > 0 ? Math.Clamp(i, 0, n) : Math.Clamp(i, -1, n - 1);
        }
        long from = Clamp(start, k > 0 ? 0 : n - 1), to = Clamp(stop, k > 0 ? n : -1);
        var result = new List<object?>();
        for (long i = from; k > 0 ? i < to : i > to; i += k)
            result.Add(items[(int)i]);
        return target is string ? string.Concat(result.Cast<string>()) : result;
    }
}
