namespace SliceGpt.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        using var interruption = Interruption.Install(Console.Error);
        return CliApp.Run(args, Console.Out, Console.Error);
    }
}
