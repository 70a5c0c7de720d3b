using System.CommandLine;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Cli.Commands;

/// <summary><c>slicegpt info</c>: architecture, dimensions, parameter count and dtype of a checkpoint.</summary>
internal static class InfoCommand
{
    public sealed record InfoResult(string Architecture, string Family, int Dim, int HiddenDim, int Layers, int Heads,
        int KvHeads, int HeadDim, int VocabSize, int MaxSeqLen, string Norm, string Block, string Rope, int RotaryDim,
        long Parameters, string Dtype, bool TiedEmbeddings, SliceMetadata? Slicing);

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var json = CommonOptions.Json();
        var command = new Command("info", "Describe a checkpoint: architecture, dimensions, parameters, dtype") { model, json };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            var loaded = ModelLoader.Load<float>(path);
            var c = loaded.Config;
            var result = new InfoResult(c.ArchitectureName, c.Family.ToString(), c.Dim, c.HiddenDim, c.NLayers, c.NHeads,
                c.NKvHeads, c.HeadDim, c.VocabSize, c.MaxSeqLen, c.Norm.ToString(), c.Block.ToString(), c.Rope.ToString(),
                c.RotaryDim, loaded.ParameterCount, c.StorageDType.ToString(), c.TiedEmbeddings, c.Slicing);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Out, result);
                return CliApp.Success;
            }
            var o = context.Out;
            o.WriteLine($"architecture  {c.ArchitectureName} ({c.Family}, {c.Block.ToString().ToLowerInvariant()} blocks, {c.Norm})");
            o.WriteLine($"dimensions    dim {c.Dim}, hidden {c.HiddenDim}, layers {c.NLayers}, heads {c.NHeads} (kv {c.NKvHeads}, head dim {c.HeadDim})");
            o.WriteLine($"vocabulary    {c.VocabSize}, max positions {c.MaxSeqLen}");
            o.WriteLine($"positions     {(c.Rope == RopeLayout.None ? $"learned (offset {c.LearnedPositionOffset})" : $"RoPE {c.Rope}, rotary dim {c.RotaryDim}, theta {c.RopeTheta}")}");
            o.WriteLine($"parameters    {loaded.ParameterCount:N0}{(c.TiedEmbeddings ? " (head tied to the embedding)" : "")}");
            o.WriteLine($"dtype         {c.StorageDType}");
            if (c.Slicing is { } sliced)
            {
                o.WriteLine($"sliced        sparsity {sliced.Sparsity:0.###}{(sliced.VarianceTarget is double v ? $", variance target {v}" : "")}, orientation {sliced.Orientation}, by {sliced.Engine}");
                o.WriteLine($"widths        {string.Join(" ", sliced.Widths.Select(w => $"{w.In}/{w.Mid}/{w.Out}"))} (in/mid/out per layer of D = {c.Dim})");
            }
            return CliApp.Success;
        });
        return command;
    }
}
