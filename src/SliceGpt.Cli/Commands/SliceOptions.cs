using System.CommandLine;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Cli.Commands;

/// <summary>Options shared by <c>plan</c> and <c>slice</c>.</summary>
internal static class SliceOptions
{
    public static Option<double> Sparsity() => new("--sparsity", "-s")
    {
        Description = "Fraction of the residual width to remove, in [0, 1)",
        DefaultValueFactory = _ => 0.25,
    };

    public static Option<int> RoundTo() => new("--round-to")
    {
        Description = "Round sliced widths down to a multiple of this",
        DefaultValueFactory = _ => 8,
    };

    public static Option<bool> SliceHead() => new("--slice-head") { Description = "Also slice the head's input (default: the head stays full width)" };

    /// <summary>Turns option validation failures into one-line usage errors naming the option.</summary>
    public static SlicingOptions Validated(SlicingOptions options)
    {
        try
        {
            options.Validate();
            return options;
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new CliUsageException($"--{e.ParamName}: {e.Message.Split(" (Parameter")[0]}, got {e.ActualValue}");
        }
    }
}
