using System.Globalization;
using System.Text;

namespace SliceGpt.Bench.Support;

/// <summary>A CSV file that is not what a reader expects; the message names the file, the line and the field.</summary>
internal sealed class BenchCsvException(string message) : Exception(message);

/// <summary>
/// A small RFC 4180 CSV table (comma-separated, fields with commas or quotes quoted, quotes doubled), read by column name
/// so that extra columns and column order do not matter: how the suites read CSVs other programs wrote (PyTorch's).
/// </summary>
internal sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns;

    private CsvTable(string file, IReadOnlyList<string> header, IReadOnlyList<(int Line, string[] Fields)> rows)
    {
        File = file;
        _columns = header.Select((name, i) => (name.Trim(), i)).GroupBy(c => c.Item1, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        Rows = rows;
    }

    /// <summary>The file read (for messages).</summary>
    public string File { get; }

    /// <summary>The data rows with their 1-based line numbers.</summary>
    public IReadOnlyList<(int Line, string[] Fields)> Rows { get; }

    /// <summary>Reads <paramref name="path"/>; the first line is the header.</summary>
    /// <exception cref="BenchCsvException">The file is empty, a quote is unterminated, or a row's field count differs from the header's.</exception>
    public static CsvTable Read(string path) => Parse(path, System.IO.File.ReadAllLines(path));

    /// <summary>Parses <paramref name="lines"/> as if read from <paramref name="file"/>.</summary>
    public static CsvTable Parse(string file, IReadOnlyList<string> lines)
    {
        int first = 0;
        while (first < lines.Count && string.IsNullOrWhiteSpace(lines[first]))
            first++;
        if (first == lines.Count)
            throw new BenchCsvException($"{file}: empty (no header line)");
        var header = Split(file, first + 1, lines[first]);
        var rows = new List<(int, string[])>();
        for (int i = first + 1; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            var fields = Split(file, i + 1, lines[i]);
            if (fields.Length != header.Length)
                throw new BenchCsvException($"{file}, line {i + 1}: {fields.Length} fields, but the header has {header.Length}");
            rows.Add((i + 1, fields));
        }
        return new CsvTable(file, header, rows);
    }

    /// <summary>Throws unless every one of <paramref name="columns"/> is in the header.</summary>
    public void Require(params string[] columns)
    {
        var missing = columns.Where(c => !_columns.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            throw new BenchCsvException($"{File}: missing column{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} " +
                                        $"(header: {string.Join(",", _columns.OrderBy(c => c.Value).Select(c => c.Key))})");
    }

    /// <summary>True when the header has <paramref name="column"/>.</summary>
    public bool Has(string column) => _columns.ContainsKey(column);

    /// <summary>A row's text field (empty when the column is absent and optional).</summary>
    public string Text((int Line, string[] Fields) row, string column) =>
        _columns.TryGetValue(column, out int i) ? row.Fields[i] : "";

    /// <summary>A row's integer field.</summary>
    public int Int((int Line, string[] Fields) row, string column)
    {
        var text = Text(row, column);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new BenchCsvException($"{File}, line {row.Line}, field {column}: \"{text}\" is not an integer");
    }

    /// <summary>A row's number; "NA", "nan" or an empty field read as NaN.</summary>
    public double Number((int Line, string[] Fields) row, string column)
    {
        var text = Text(row, column).Trim();
        if (text.Length == 0 || text.Equals("NA", StringComparison.OrdinalIgnoreCase) || text.Equals("nan", StringComparison.OrdinalIgnoreCase))
            return double.NaN;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new BenchCsvException($"{File}, line {row.Line}, field {column}: \"{text}\" is not a number");
    }

    /// <summary>A field for writing: quoted when it holds a comma, a quote or a line break.</summary>
    public static string Field(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{text.Replace("\"", "\"\"")}\"" : text;

    /// <summary>A number for writing: 6 significant digits, invariant culture, NA when not finite.</summary>
    public static string Number(double value) => double.IsFinite(value) ? value.ToString("G6", CultureInfo.InvariantCulture) : "NA";

    private static string[] Split(string file, int line, string text)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch != '"')
                {
                    field.Append(ch);
                }
                else if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"'); // a doubled quote inside a quoted field
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (ch == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(ch);
            }
        }
        if (quoted)
            throw new BenchCsvException($"{file}, line {line}: unterminated quoted field");
        fields.Add(field.ToString());
        return [.. fields];
    }
}
