using SliceGpt.Native.Cpu;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Cli.Tests;

/// <summary>Only SliceGpt's own typed errors are the user's problem; anything else is a bug, reported briefly.</summary>
public class ErrorReporterTests
{
    private static (int Code, string Err) Report(Exception e, bool verbose = false)
    {
        try
        {
            throw e; // gives the exception a stack trace, as a real one has
        }
        catch (Exception thrown)
        {
            var err = new StringWriter();
            return (ErrorReporter.Report(thrown, verbose, err), err.ToString());
        }
    }

    [Test]
    public void TypedErrors_AreOneLineAndExitCode2()
    {
        foreach (var e in new Exception[]
                 {
                     new CheckpointFormatException("m.safetensors", "w", "shape", "[2]", "[3]"),
                     new InputValidationException("t.txt", "byte offset 3", "not valid UTF-8"),
                     new OutputWriteException("out", "No space left on device"),
                     new CliUsageException("--steps must be ≥ 0"),
                     new BlasUnavailableException("libopenblas", ["libopenblas.so.0: not found"], "SLICEGPT_OPENBLAS"),
                 })
        {
            var (code, err) = Report(e);
            Assert.That(code, Is.EqualTo(CliApp.UsageError), e.GetType().Name);
            Assert.That(err, Is.EqualTo($"error: {e.Message}{Environment.NewLine}"), e.GetType().Name);
        }
    }

    [TestCase(typeof(ArgumentException))]
    [TestCase(typeof(KeyNotFoundException))]
    [TestCase(typeof(FileNotFoundException))]
    [TestCase(typeof(UnauthorizedAccessException))]
    [TestCase(typeof(InvalidOperationException))]
    [TestCase(typeof(NullReferenceException))]
    public void AnyOtherException_IsAnInternalErrorWithAShortReport(Type type)
    {
        var (code, err) = Report((Exception)Activator.CreateInstance(type, "something broke")!);
        var lines = err.TrimEnd().Split(Environment.NewLine);
        Assert.That(code, Is.EqualTo(CliApp.InternalError));
        Assert.That(lines, Has.Length.EqualTo(2), err);
        Assert.That(lines[0], Is.EqualTo($"internal error: {type.Name}: something broke"));
        Assert.That(lines[1], Does.Contain(nameof(ErrorReporterTests)).And.Contain("bug in SliceGpt").And.Contain("--verbose"));
    }

    [Test]
    public void Verbose_AddsTheFullTrace()
    {
        var (code, err) = Report(new ArgumentException("x"), verbose: true);
        Assert.That(code, Is.EqualTo(CliApp.InternalError));
        Assert.That(err, Does.Contain("System.ArgumentException: x").And.Contain("   at "));
        var (typedCode, typedErr) = Report(new CliUsageException("y"), verbose: true);
        Assert.That(typedCode, Is.EqualTo(CliApp.UsageError));
        Assert.That(typedErr, Does.StartWith("error: y").And.Contain("   at "));
    }
}
