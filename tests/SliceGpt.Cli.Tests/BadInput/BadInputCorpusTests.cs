using SliceGpt.Runtime.IO;

namespace SliceGpt.Cli.Tests.BadInput;

/// <summary>
/// Runs every case of <see cref="BadInputCorpus"/> through the CLI: exit code 2, one error line naming the file and the
/// field, no stack trace, no output, nothing written anywhere in the workspace, and every input unchanged byte for byte.
/// </summary>
[NonParallelizable] // some cases replace the process-wide output seams (OutputFiles)
public class BadInputCorpusTests
{
    private static readonly Dictionary<string, BadInputCase> ByName = BadInputCorpus.Cases().ToDictionary(c => c.Name);

    private static IEnumerable<TestCaseData> Cases() => ByName.Keys.Select(name => new TestCaseData(name).SetName($"BadInput: {name}"));

    [Test]
    public void TheCorpusHasAtLeastFortyCases() => Assert.That(BadInputCorpus.Cases().Count(), Is.GreaterThanOrEqualTo(40));

    [TestCaseSource(nameof(Cases))]
    public void FailsWithOneLineNamingFileAndField_WritesNothing_LeavesInputsUnchanged(string name)
    {
        var c = ByName[name];
        using var workspace = new BadInputWorkspace();
        try
        {
            c.Arrange(workspace);
            var before = workspace.Snapshot();
            var args = c.Command(workspace);
            var (code, stdout, stderr) = CliRunner.Run(args);
            var errors = stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
            TestContext.Out.WriteLine(stderr);
            Assert.Multiple(() =>
            {
                Assert.That(code, Is.EqualTo(CliApp.UsageError), stderr);
                Assert.That(errors, Has.Count.EqualTo(1), stderr);
                foreach (var named in c.Names(workspace))
                    Assert.That(errors.FirstOrDefault(), Does.Contain(named), "the error line names the file and the field");
                Assert.That(stderr, Does.Not.Contain("internal error").And.Not.Contain("   at "), "an expected error has no trace");
                Assert.That(stdout, Is.Empty, "no result is printed");
                Assert.That(workspace.Snapshot(), Is.EqualTo(before), "nothing written, and every input unchanged byte for byte");
                if (args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() is { } output && !output.StartsWith(workspace.Root, StringComparison.Ordinal))
                    Assert.That(Directory.Exists(output) || File.Exists(output), Is.False, "nothing written outside the workspace either");
            });
        }
        finally
        {
            OutputFiles.Reset();
        }
    }
}
