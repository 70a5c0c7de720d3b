using System.Text.Json;

namespace SliceGpt.Cli.Tests;

/// <summary><c>slicegpt eval</c> end to end on the real stories260K checkpoint (a few tasks each, to stay fast).</summary>
public class EvalCommandTests
{
    private static readonly string Stories = CliRunner.Shared("models", "stories260K-hf");
    private static readonly string HellaSwag = CliRunner.Shared("data", "hellaswag-val", "hellaswag_val_full.txt");
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("slicegpt-cli-eval-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void HellaSwag_Json_HasTheDocumentedFields()
    {
        var (code, output, err) = CliRunner.Run("eval", "--model", Stories, "--task", "hellaswag", "--data", HellaSwag, "--limit", "8", "--device", "cpu", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.That(root.GetProperty("tasks").GetInt32(), Is.EqualTo(8));
        Assert.That(root.GetProperty("backend").GetString(), Does.StartWith("cpu"));
        Assert.That(root.GetProperty("seconds").GetDouble(), Is.GreaterThan(0));
        foreach (var (metric, stderr) in new[] { ("acc", "acc_stderr"), ("acc_norm", "acc_norm_stderr") })
        {
            // Eight 0/1 outcomes: the mean is a multiple of 1/8 and its standard error the harness's formula of it.
            double p = root.GetProperty(metric).GetDouble();
            Assert.That(p * 8, Is.EqualTo(Math.Round(p * 8)).Within(1e-12), metric);
            Assert.That(root.GetProperty(stderr).GetDouble(), Is.EqualTo(Math.Sqrt(p * (1 - p) * 8 / 7) / Math.Sqrt(8)).Within(1e-12), stderr);
        }
    }

    [Test]
    public void Text_OneLineWithBothMetrics()
    {
        var (code, output, err) = CliRunner.Run("eval", "--model", Stories, "--task", "hellaswag", "--data", HellaSwag, "--limit", "4", "--device", "cpu");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Match(@"^hellaswag: acc [01]\.\d{4} ± \d\.\d{4}, acc_norm [01]\.\d{4} ± \d\.\d{4} over 4 tasks on cpu"));
        Assert.That(err, Is.Empty, "no progress bar when stderr is not a terminal");
    }

    [Test]
    public void Jsonl_And_WinoGrande_ScoreTheirFiles()
    {
        var piqa = Path.Combine(_dir, "piqa.jsonl");
        File.WriteAllText(piqa, """
            {"goal": "Lily wanted to play with the ball.", "sol1": "She threw it to Tim.", "sol2": "She ate the moon.", "label": 0}
            {"goal": "Tim was sad.", "sol1": "His mom gave him a hug.", "sol2": "The hug compiled.", "label": "0"}
            """);
        var (code, output, err) = CliRunner.Run("eval", "--model", Stories, "--task", "jsonl", "--data", piqa, "--context-field", "goal",
            "--choices-field", "sol1, sol2", "--gold-field", "label", "--device", "cpu", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using (var doc = JsonDocument.Parse(output))
            Assert.That(doc.RootElement.GetProperty("tasks").GetInt32(), Is.EqualTo(2));

        var wino = Path.Combine(_dir, "wino.jsonl");
        File.WriteAllText(wino, """{"sentence": "Lily gave Tim a hug because _ was sad.", "option1": "Tim", "option2": "the ball", "answer": "1"}""");
        (code, output, err) = CliRunner.Run("eval", "--model", Stories, "--task", "winogrande", "--data", wino, "--device", "cpu", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using (var doc = JsonDocument.Parse(output))
        {
            Assert.That(doc.RootElement.GetProperty("tasks").GetInt32(), Is.EqualTo(1));
            Assert.That(doc.RootElement.GetProperty("acc_stderr").ValueKind, Is.EqualTo(JsonValueKind.Null), "no standard error of one task");
        }
    }

    [Test]
    public void BadFile_IsOneLineNamingFileAndLine_ExitCode2()
    {
        var file = Path.Combine(_dir, "bad.txt");
        File.WriteAllText(file, "ctx\n7\na\nb\nc\nd\n");
        var (code, output, err) = CliRunner.Run("eval", "--model", Stories, "--task", "hellaswag", "--data", file, "--device", "cpu");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.Contain($"{file}:2: the gold index must be an integer in 0..3"));
    }

    [TestCase("--limit", "0", "--limit must be at least 1")]
    [TestCase("--context-field", "ctx", "apply to --task jsonl")]
    [TestCase("--max-length", "0", "--max-length must be at least 1")]
    [TestCase("--max-length", "100000", "exceeds the model's 512 positions")]
    public void InvalidOption_IsOneLineAndExitCode2(string option, string value, string message)
    {
        var (code, _, err) = CliRunner.Run("eval", "--model", Stories, "--task", "hellaswag", "--data", HellaSwag, option, value, "--device", "cpu");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.Contain(message));
    }

    [Test]
    public void JsonlTask_WithoutItsFields_IsAUsageError()
    {
        var (code, _, err) = CliRunner.Run("eval", "--model", Stories, "--task", "jsonl", "--data", HellaSwag, "--context-field", "q");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--task jsonl needs --context-field, --choices-field and --gold-field"));
    }
}
