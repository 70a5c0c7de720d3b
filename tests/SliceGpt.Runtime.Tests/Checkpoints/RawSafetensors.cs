using System.Text;

namespace SliceGpt.Runtime.Tests.Checkpoints;

/// <summary>Writes hand-made (possibly corrupt) safetensors files byte by byte.</summary>
internal static class RawSafetensors
{
    /// <summary>8-byte length (the JSON's own unless <paramref name="declaredLength"/>), the JSON, then <paramref name="dataBytes"/> bytes.</summary>
    public static void Write(string path, string headerJson, int dataBytes, ulong? declaredLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes(declaredLength ?? (ulong)header.Length));
        stream.Write(header);
        stream.Write(new byte[dataBytes]);
    }

    /// <summary>One F32 tensor entry.</summary>
    public static string Entry(string name, string shape, long begin, long end, string dtype = "F32") =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";
}
