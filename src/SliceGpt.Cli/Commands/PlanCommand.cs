using System.CommandLine;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Cli.Commands;

/// <summary><c>slicegpt plan</c>: every layer's widths and the parameter count before and after, from the config alone.</summary>
internal static class PlanCommand
{
    public sealed record PlanResult(string Architecture, double Sparsity, int RoundTo, bool SliceHead, long ParamsBefore,
        long ParamsAfter, double ParameterReduction, IReadOnlyList<LayerWidths> Widths);

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var sparsity = SliceOptions.Sparsity();
        var roundTo = SliceOptions.RoundTo();
        var sliceHead = SliceOptions.SliceHead();
        var json = CommonOptions.Json();
        var command = new Command("plan", "Widths and parameter counts of a constant-sparsity slicing, read from config.json only")
        {
            model, sparsity, roundTo, sliceHead, json,
        };
        command.SetAction(parse =>
        {
            var options = SliceOptions.Validated(new SlicingOptions
            {
                Sparsity = parse.GetValue(sparsity),
                RoundTo = parse.GetValue(roundTo),
                SliceHead = parse.GetValue(sliceHead),
            });
            var config = ModelLoader.ReadConfig(parse.GetValue(model)!);
            if (config.Slicing is not null)
                throw new CliUsageException($"{parse.GetValue(model)} is already sliced; plan from the original checkpoint");
            var plan = SlicingPlanner.Plan(config, options);
            var result = new PlanResult(config.ArchitectureName, options.Sparsity, options.RoundTo, options.SliceHead,
                plan.ParamsBefore, plan.ParamsAfter, plan.ParameterReduction, plan.Widths);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Out, result);
                return CliApp.Success;
            }
            var o = context.Out;
            o.WriteLine($"{config.ArchitectureName}: D = {config.Dim}, {config.NLayers} layers, sparsity {options.Sparsity:0.###} (widths rounded to {options.RoundTo})");
            o.WriteLine("layer     in    mid    out");
            for (int l = 0; l < plan.Widths.Count; l++)
                o.WriteLine($"{l,5} {plan.Widths[l].In,6} {plan.Widths[l].Mid,6} {plan.Widths[l].Out,6}");
            o.WriteLine($"parameters  {plan.ParamsBefore:N0} → {plan.ParamsAfter:N0} ({plan.ParameterReduction:P1} fewer, shortcut matrices included)");
            return CliApp.Success;
        });
        return command;
    }
}
