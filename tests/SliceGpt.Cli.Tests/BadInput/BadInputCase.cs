namespace SliceGpt.Cli.Tests.BadInput;

/// <summary>One corrupt or unusable input: how to make it, the command to run on it, and what the one-line error must name.</summary>
/// <param name="Name">What is wrong, as the test's name.</param>
/// <param name="Arrange">Corrupts the workspace (and may inject a file system fault).</param>
/// <param name="Command">The CLI arguments.</param>
/// <param name="Names">What the error line must contain: the file and the field (computed from the workspace).</param>
internal sealed record BadInputCase(
    string Name,
    Action<BadInputWorkspace> Arrange,
    Func<BadInputWorkspace, string[]> Command,
    Func<BadInputWorkspace, string[]> Names)
{
    public override string ToString() => Name;
}
