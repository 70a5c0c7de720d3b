namespace SliceGpt.Runtime.Slicing;

/// <summary>Slicing cannot proceed with these inputs (calibration data, options or activations); the message says why.</summary>
public sealed class SlicingException(string message) : SliceGptException(message);
