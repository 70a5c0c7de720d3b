using System.Text.Json;

namespace SliceGpt.Cli.Tests;

/// <summary><c>slice --eval-task</c>: dense and sliced zero-shot accuracy beside perplexity, in the JSON and the report.</summary>
public class SliceEvalTests
{
    private static readonly string Stories = CliRunner.Shared("models", "stories260K-hf");
    private static readonly string Data = CliRunner.Shared("data", "tinystories-valid-sample", "tinystories_val.txt");
    private static readonly string HellaSwag = CliRunner.Shared("data", "hellaswag-val", "hellaswag_val_full.txt");
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("slicegpt-cli-slice-eval-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string[] SliceArgs(string output, params string[] extra) =>
    [
        "slice", "--model", Stories, "--calib", Data, "--calib-mode", "first", "--nsamples", "8", "--calib-seqlen", "128",
        "--sparsity", "0.25", "--out", output, "--device", "cpu", .. extra,
    ];

    [Test]
    public void Slice_ReportsDenseAndSlicedAccuracy_AsEvalMeasuresThem()
    {
        var output = Path.Combine(_dir, "sliced");
        var (code, stdout, err) = CliRunner.Run(SliceArgs(output, "--eval", Data, "--eval-seqlen", "128", "--eval-rows", "2",
            "--eval-task", "hellaswag", "--eval-data", HellaSwag, "--eval-limit", "8", "--json"));
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(stdout);
        var zeroShot = doc.RootElement.GetProperty("zero_shot");
        Assert.That((zeroShot.GetProperty("task").GetString(), zeroShot.GetProperty("tasks").GetInt32()), Is.EqualTo(("hellaswag", 8)));

        // The same numbers as `eval` on the dense input and on the written sliced folder.
        foreach (var (model, field) in new[] { (Stories, "dense"), (output, "sliced") })
        {
            var (evalCode, evalOut, evalErr) = CliRunner.Run("eval", "--model", model, "--task", "hellaswag", "--data", HellaSwag,
                "--limit", "8", "--device", "cpu", "--json");
            Assert.That(evalCode, Is.EqualTo(0), evalErr);
            using var eval = JsonDocument.Parse(evalOut);
            foreach (var metric in new[] { "acc", "acc_norm", "acc_stderr", "acc_norm_stderr" })
                Assert.That(zeroShot.GetProperty(field).GetProperty(metric).GetDouble(), Is.EqualTo(eval.RootElement.GetProperty(metric).GetDouble()), $"{field} {metric}");
        }

        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "slicing-report.json")));
        var evaluation = report.RootElement.GetProperty("evaluation");
        Assert.That(evaluation.GetProperty("zero_shot").GetProperty("sliced").GetProperty("acc").GetDouble(),
            Is.EqualTo(zeroShot.GetProperty("sliced").GetProperty("acc").GetDouble()));
        Assert.That(evaluation.GetProperty("perplexity").GetProperty("sliced").GetDouble(), Is.EqualTo(doc.RootElement.GetProperty("sliced_ppl").GetDouble()));
        var html = File.ReadAllText(Path.Combine(output, "slicing-report.html"));
        Assert.That(html, Does.Contain("<th>hellaswag acc</th><th>hellaswag acc_norm</th>").And.Contain("<td>sliced (25%)</td>"));
        Assert.That(Directory.GetFiles(output, "*.tmp"), Is.Empty);
    }

    [Test]
    public void Slice_WithoutEvaluation_HasNoComparison()
    {
        var output = Path.Combine(_dir, "sliced");
        var (code, stdout, err) = CliRunner.Run(SliceArgs(output, "--json"));
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(stdout);
        Assert.That(doc.RootElement.GetProperty("zero_shot").ValueKind, Is.EqualTo(JsonValueKind.Null));
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "slicing-report.json")));
        Assert.That(report.RootElement.GetProperty("evaluation").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(File.ReadAllText(Path.Combine(output, "slicing-report.html")), Does.Not.Contain("Dense and sliced"));
    }

    [TestCase("--eval-task", "hellaswag", "--eval-task and --eval-data go together")]
    [TestCase("--eval-limit", "3", "--eval-limit needs --eval-task and --eval-data")]
    public void IncompleteOptions_AreOneLineErrorsBeforeAnyOutput(string option, string value, string message)
    {
        var output = Path.Combine(_dir, "sliced");
        var (code, _, err) = CliRunner.Run(SliceArgs(output, option, value));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain(message));
        Assert.That(Directory.Exists(output), Is.False);
    }

    [Test]
    public void BadTaskFile_FailsBeforeSlicing()
    {
        var file = Path.Combine(_dir, "bad.txt");
        File.WriteAllText(file, "ctx\n1\na\nb\nc\n");
        var output = Path.Combine(_dir, "sliced");
        var (code, _, err) = CliRunner.Run(SliceArgs(output, "--eval-task", "hellaswag", "--eval-data", file));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain($"{file}:1: the file ends inside the task"));
        Assert.That(Directory.Exists(output), Is.False);
    }
}
