using System.Text.Json;

namespace SliceGpt.Cli.Tests;

/// <summary>The plan and slice commands end to end on the real stories260K checkpoint.</summary>
public class SliceCommandTests
{
    private static readonly string Stories = CliRunner.Shared("models", "stories260K-hf");
    private static readonly string Data = CliRunner.Shared("data", "tinystories-valid-sample", "tinystories_val.txt");
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("slicegpt-cli-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string[] SliceArgs(string output, params string[] extra) =>
    [
        "slice", "--model", Stories, "--calib", Data, "--calib-mode", "first", "--nsamples", "8", "--calib-seqlen", "128",
        "--sparsity", "0.25", "--out", output, .. extra,
    ];

    [Test]
    public void Plan_Json_ListsWidthsAndCounts()
    {
        var (code, output, err) = CliRunner.Run("plan", "--model", Stories, "--sparsity", "0.25", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.That(root.GetProperty("params_before").GetInt64(), Is.EqualTo(260_032));
        var widths = root.GetProperty("widths");
        Assert.That(widths.GetArrayLength(), Is.EqualTo(5));
        Assert.That(widths[0].GetProperty("in").GetInt32(), Is.EqualTo(48), "floor(0.75·64) = 48");
        Assert.That(widths[4].GetProperty("out").GetInt32(), Is.EqualTo(64), "the head stays full width");
        Assert.That(root.GetProperty("params_after").GetInt64(), Is.LessThan(260_032).And.GreaterThan(100_000));
    }

    [Test]
    public void Slice_WritesALoadableFolder_AndReportsBothPerplexities()
    {
        var output = Path.Combine(_dir, "sliced");
        var (code, stdout, err) = CliRunner.Run(SliceArgs(output, "--eval", Data, "--eval-seqlen", "128", "--eval-rows", "4", "--json"));
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        foreach (var field in new[] { "dense_ppl", "sliced_ppl", "params_before", "params_after", "widths", "seconds" })
            Assert.That(root.TryGetProperty(field, out _), field);
        Assert.That(root.GetProperty("sliced_ppl").GetDouble(), Is.GreaterThan(root.GetProperty("dense_ppl").GetDouble()));
        Assert.That(err, Does.Contain("layer 5/5"), "per-layer progress on stderr");
        foreach (var file in new[] { "config.json", "model.safetensors", "tok512.bin", "slicing-report.json", "slicing-report.html" })
            Assert.That(File.Exists(Path.Combine(output, file)), file);
        Assert.That(File.ReadAllText(Path.Combine(output, "slicing-report.html")), Does.Contain("<svg"));

        var (pplCode, pplOut, pplErr) = CliRunner.Run("ppl", "--model", output, "--data", Data, "--seqlen", "128", "--max-rows", "4", "--batch", "8", "--json");
        Assert.That(pplCode, Is.EqualTo(0), pplErr);
        using var ppl = JsonDocument.Parse(pplOut);
        Assert.That(ppl.RootElement.GetProperty("ppl").GetDouble(), Is.EqualTo(root.GetProperty("sliced_ppl").GetDouble()).Within(1e-9),
            "ppl on the written folder, with the same batching, is the number slice reported");
        var (infoCode, infoOut, _) = CliRunner.Run("info", "--model", output);
        Assert.That(infoCode, Is.EqualTo(0));
        Assert.That(infoOut, Does.Contain("sliced"));
    }

    [TestCase("--sparsity", "1.0", "--sparsity")]
    [TestCase("--sparsity", "-0.5", "--sparsity")]
    [TestCase("--dtype", "fp8", "--dtype")]
    [TestCase("--nsamples", "0", "--nsamples")]
    public void InvalidOption_IsOneLineExitCode2AndNoOutput(string option, string value, string named)
    {
        var output = Path.Combine(_dir, "sliced");
        var args = SliceArgs(output).ToList();
        int at = args.IndexOf(option);
        if (at >= 0)
            args[at + 1] = value;
        else
            args.AddRange([option, value]);
        var (code, _, err) = CliRunner.Run([.. args]);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain(named));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty, "no partial output");
    }

    [Test]
    public void CalibrationTextShorterThanOneRow_IsAClearError()
    {
        var text = Path.Combine(_dir, "short.txt");
        File.WriteAllText(text, "Once upon a time.");
        var output = Path.Combine(_dir, "sliced");
        var args = SliceArgs(output).ToList();
        args[args.IndexOf("--calib") + 1] = text;
        var (code, _, err) = CliRunner.Run([.. args]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("fewer than one row"));
        Assert.That(Directory.Exists(output), Is.False);
    }

    [Test]
    public void OutputInsideTheInput_IsRefused()
    {
        var (code, _, err) = CliRunner.Run(SliceArgs(Path.Combine(Stories, "sliced")));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("inside the input folder"));
        Assert.That(Directory.Exists(Path.Combine(Stories, "sliced")), Is.False);
    }

    [Test]
    public void ExistingOutput_NeedsForce()
    {
        var output = Path.Combine(_dir, "sliced");
        Directory.CreateDirectory(output);
        var (code, _, err) = CliRunner.Run(SliceArgs(output));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--force"));
        var (forced, _, forcedErr) = CliRunner.Run(SliceArgs(output, "--force"));
        Assert.That(forced, Is.EqualTo(0), forcedErr);
        Assert.That(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Test]
    public void UnsupportedArchitecture_IsRefusedBeforeAnyOutput()
    {
        var model = Path.Combine(_dir, "bert");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "config.json"), """{"architectures": ["BertForMaskedLM"]}""");
        File.Copy(CliRunner.Shared("models", "stories260K", "tok512.bin"), Path.Combine(model, "tok512.bin"));
        var output = Path.Combine(_dir, "sliced");
        var args = SliceArgs(output).ToList();
        args[args.IndexOf("--model") + 1] = model;
        var (code, _, err) = CliRunner.Run([.. args]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("BertForMaskedLM"));
        Assert.That(Directory.Exists(output), Is.False);
    }
}
