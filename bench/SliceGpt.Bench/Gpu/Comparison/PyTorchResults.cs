using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.Comparison;

/// <summary>
/// PyTorch's results from the same GPU run, for the suites' "vs PyTorch" columns: the folder the PyTorch scripts wrote
/// (<c>--pytorch DIR</c> on the command line, else the <c>SLICEGPT_PYTORCH_DIR</c> environment variable), read once.
/// Missing files leave the columns NA; an unreadable file is reported in the tables (its message names file, line and
/// field) rather than failing a run whose own measurements are fine.
/// </summary>
internal static class PyTorchResults
{
    /// <summary>PyTorch's per-matmul file (<c>bench/pytorch/products.py</c>).</summary>
    public const string ProductsFile = "pytorch-products.csv";

    /// <summary>PyTorch's prefill file (<c>bench/pytorch/prefill.py</c>).</summary>
    public const string PrefillFile = "pytorch-prefill.csv";

    /// <summary>PyTorch's decode file (<c>bench/pytorch/decode.py</c>).</summary>
    public const string DecodeFile = "pytorch-decode.csv";

    /// <summary>The environment variable naming the folder when the command line does not.</summary>
    public const string EnvironmentVariable = "SLICEGPT_PYTORCH_DIR";

    private static readonly Lock LoadLock = new();
    private static string? _directory;
    private static bool _loaded;
    private static ProductComparison? _products;
    private static EndToEndComparison? _endToEnd;
    private static readonly List<string> Problems = [];

    /// <summary>The folder given, or null (then <see cref="EnvironmentVariable"/> is consulted).</summary>
    public static string? Directory
    {
        get
        {
            lock (LoadLock)
                return _directory ?? NullIfEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable));
        }
        set
        {
            lock (LoadLock)
            {
                _directory = value;
                _loaded = false;
            }
        }
    }

    /// <summary>PyTorch's products, or null when none were given or readable.</summary>
    public static ProductComparison? Products
    {
        get
        {
            Load();
            lock (LoadLock)
                return _products;
        }
    }

    /// <summary>PyTorch's prefill and decode rows, or null when none were given or readable.</summary>
    public static EndToEndComparison? EndToEnd
    {
        get
        {
            Load();
            lock (LoadLock)
                return _endToEnd;
        }
    }

    /// <summary>One sentence for the tables: where PyTorch's numbers came from, or why there are none.</summary>
    public static string Describe()
    {
        Load();
        lock (LoadLock)
        {
            var dir = _directory ?? NullIfEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable));
            if (dir is null)
                return "No PyTorch results were given (--pytorch DIR): the vs PyTorch columns are NA.";
            var parts = new List<string>();
            if (_products is not null)
                parts.Add($"{_products.Count} products from {ProductsFile}");
            if (_endToEnd is not null)
                parts.Add($"{_endToEnd.Rows.Count} end-to-end rows");
            var found = parts.Count > 0 ? $"PyTorch results from {dir}: {string.Join(", ", parts)}." : $"No PyTorch results found in {dir}.";
            return Problems.Count == 0 ? found : $"{found} Not read: {string.Join("; ", Problems)}.";
        }
    }

    /// <summary>Forgets what was loaded (tests).</summary>
    internal static void Reset()
    {
        lock (LoadLock)
        {
            _directory = null;
            _loaded = false;
            _products = null;
            _endToEnd = null;
            Problems.Clear();
        }
    }

    private static void Load()
    {
        lock (LoadLock)
        {
            if (_loaded)
                return;
            _loaded = true;
            _products = null;
            _endToEnd = null;
            Problems.Clear();
            var dir = _directory ?? NullIfEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable));
            if (dir is null)
                return;
            var products = Path.Combine(dir, ProductsFile);
            if (File.Exists(products))
            {
                try
                {
                    _products = new ProductComparison(ProductsCsv.Read(products), products);
                }
                catch (Exception e) when (e is BenchCsvException or IOException)
                {
                    Problems.Add(e.Message);
                }
            }
            var endToEnd = new[] { PrefillFile, DecodeFile }.Select(f => Path.Combine(dir, f)).Where(File.Exists).ToArray();
            if (endToEnd.Length > 0)
            {
                try
                {
                    _endToEnd = EndToEndComparison.Read(endToEnd);
                }
                catch (Exception e) when (e is BenchCsvException or IOException)
                {
                    Problems.Add(e.Message);
                }
            }
        }
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
