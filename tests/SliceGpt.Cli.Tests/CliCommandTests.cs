using System.Text.Json;

namespace SliceGpt.Cli.Tests;

public class CliCommandTests
{
    private static readonly string Stories = CliRunner.Shared("models", "stories260K-hf");
    private static readonly string Data = CliRunner.Shared("data", "tinystories-valid-sample", "tinystories_val.txt");

    [Test]
    public void Info_Json_ReportsArchitectureAndParameters()
    {
        var (code, output, _) = CliRunner.Run("info", "--model", Stories, "--json");
        Assert.That(code, Is.EqualTo(0));
        using var doc = JsonDocument.Parse(output);
        Assert.That(doc.RootElement.GetProperty("architecture").GetString(), Is.EqualTo("LlamaForCausalLM"));
        Assert.That(doc.RootElement.GetProperty("parameters").GetInt64(), Is.EqualTo(260_032));
        Assert.That(doc.RootElement.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
    }

    [Test]
    public void Ppl_Json_HasTheDocumentedFields()
    {
        var (code, output, err) = CliRunner.Run("ppl", "--model", Stories, "--data", Data, "--seqlen", "256", "--max-rows", "4", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.That(root.GetProperty("rows").GetInt32(), Is.EqualTo(4));
        Assert.That(root.GetProperty("tokens").GetInt64(), Is.EqualTo(4 * 255));
        Assert.That(root.GetProperty("backend").GetString(), Does.StartWith("cpu"));
        Assert.That(root.GetProperty("ppl").GetDouble(), Is.InRange(2.0, 8.0));
    }

    [Test]
    public void Generate_Greedy_Json_StartsWithTheDocumentedStory()
    {
        var (code, output, err) = CliRunner.Run("generate", "--model", Stories, "--steps", "30", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(output);
        Assert.That(doc.RootElement.GetProperty("text").GetString(), Does.StartWith("Once upon a time, there was a little girl named Lily."));
        Assert.That(doc.RootElement.GetProperty("tokens").GetArrayLength(), Is.EqualTo(31), "BOS + 30 new tokens");
    }

    [TestCase("--temperature", "-1")]
    [TestCase("--top-p", "0")]
    [TestCase("--top-p", "1.5")]
    [TestCase("--steps", "-3")]
    public void Generate_InvalidOption_IsOneLineAndExitCode2(string option, string value)
    {
        var (code, _, err) = CliRunner.Run("generate", "--model", Stories, option, value);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.Contain(option));
    }

    [Test]
    public void MissingModel_IsOneLineAndExitCode2_VerboseAddsTheTrace()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid());
        var (code, _, err) = CliRunner.Run("info", "--model", missing);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.Contain(missing));
        var (verboseCode, _, verboseErr) = CliRunner.Run("info", "--model", missing, "--verbose");
        Assert.That(verboseCode, Is.EqualTo(2));
        Assert.That(verboseErr, Does.Contain(" at "));
    }

    [Test]
    public void UnknownOption_IsAParseErrorWithExitCode2()
    {
        var (code, _, err) = CliRunner.Run("ppl", "--model", Stories, "--data", Data, "--bogus");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--bogus"));
    }

    [Test]
    public void UnsupportedArchitecture_NamesTheConfigAndTheSupportedList()
    {
        var dir = Directory.CreateTempSubdirectory("slicegpt-cli-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "config.json"), """{"architectures": ["BertForMaskedLM"]}""");
            var (code, _, err) = CliRunner.Run("info", "--model", dir.FullName);
            Assert.That(code, Is.EqualTo(2));
            Assert.That(err, Does.Contain("BertForMaskedLM").And.Contain("OPTForCausalLM").And.Contain("config.json"));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public void Ppl_TextShorterThanOneRow_IsAClearError()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "Once upon a time.");
            var (code, _, err) = CliRunner.Run("ppl", "--model", Stories, "--data", file, "--seqlen", "256");
            Assert.That(code, Is.EqualTo(2));
            Assert.That(err, Does.Contain("fewer than one row"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void DeviceCuda_WithoutAGpu_IsAClearOneLineError_NotAFallback()
    {
        if (Runtime.Inference.Cuda.CudaBackend.IsAvailable(out _))
            Assert.Ignore("a GPU is present here: --device cuda runs");
        var (code, output, err) = CliRunner.Run("ppl", "--model", Stories, "--data", Data, "--seqlen", "256", "--max-rows", "1", "--device", "cuda");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Is.Empty, "no result computed elsewhere");
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.Contain("libcuda"));
    }

    [Test]
    public void DeviceAuto_SaysWhichBackendRan()
    {
        var (code, output, err) = CliRunner.Run("ppl", "--model", Stories, "--data", Data, "--seqlen", "256", "--max-rows", "1", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(output);
        var backend = doc.RootElement.GetProperty("backend").GetString();
        Assert.That(backend, Does.StartWith(Runtime.Inference.Cuda.CudaBackend.IsAvailable(out _) ? "cuda" : "cpu"));
    }

    [TestCase("--device", "tpu")]
    [TestCase("--precision", "fp8")]
    public void UnknownDeviceOrPrecision_IsAParseError(string option, string value)
    {
        var (code, _, err) = CliRunner.Run("generate", "--model", Stories, option, value);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain(value));
    }
}
