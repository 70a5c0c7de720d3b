namespace SliceGpt.Runtime.Models;

/// <summary>
/// The residual widths one sliced block reads and writes. Sequential blocks have three (input, between
/// attention and MLP, output); parallel blocks have no mid-block residual, so <see cref="Mid"/> equals <see cref="Out"/>.
/// </summary>
/// <param name="In">Width of the residual the block reads (its q/k/v inputs).</param>
/// <param name="Mid">Width between attention and MLP (sequential blocks).</param>
/// <param name="Out">Width of the residual the block writes.</param>
public sealed record LayerWidths(int In, int Mid, int Out);
