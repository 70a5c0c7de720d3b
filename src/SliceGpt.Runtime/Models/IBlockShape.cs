namespace SliceGpt.Runtime.Models;

/// <summary>What the forward driver needs to know of one (possibly sliced) block: its residual widths and which residual maps it has.</summary>
internal interface IBlockShape
{
    /// <summary>Residual width the block reads.</summary>
    int DIn { get; }

    /// <summary>Residual width between attention and MLP (sequential); DOut for parallel blocks.</summary>
    int DMid { get; }

    /// <summary>Residual width the block writes.</summary>
    int DOut { get; }

    /// <summary>The attention residual goes through a shortcut matrix (sliced); false: the identity.</summary>
    bool HasAttentionShortcut { get; }

    /// <summary>The MLP residual goes through a shortcut matrix (sliced, sequential blocks); false: the identity.</summary>
    bool HasMlpShortcut { get; }
}
