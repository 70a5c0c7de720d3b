namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>The residual widths of one (possibly sliced) block, which is all the forward driver needs to know of it.</summary>
internal interface IBlockWidths
{
    /// <summary>Residual width the block reads.</summary>
    int DIn { get; }

    /// <summary>Residual width between attention and MLP (sequential); DOut for parallel blocks.</summary>
    int DMid { get; }

    /// <summary>Residual width the block writes.</summary>
    int DOut { get; }
}
