namespace SliceGpt.Runtime.Tests.Support;

/// <summary>A test's in-memory checkpoint: name → (shape, values), in float64.</summary>
internal sealed class NamedTensors : Dictionary<string, (long[] Shape, double[] Data)>
{
    public bool Has(string name) => ContainsKey(name);
}
