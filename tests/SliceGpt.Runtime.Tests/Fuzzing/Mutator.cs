using System.Text;
using System.Text.Json.Nodes;

namespace SliceGpt.Runtime.Tests.Fuzzing;

/// <summary>
/// Seeded mutations of bytes and of JSON documents: bit flips, interesting bytes, cut, repeated and inserted ranges,
/// truncation; and, for JSON, values replaced by type-confused or boundary values, fields deleted, renamed or duplicated.
/// The same seed gives the same sequence of mutants.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly byte[] InterestingBytes = [0, 0xFF, 0x7F, 0x80, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']',
        (byte)',', (byte)':', (byte)'-', (byte)'9', (byte)'e', (byte)'\\', 0xC3, 0xE2];

    private static readonly Func<Random, JsonNode?>[] InterestingValues =
    [
        _ => JsonValue.Create(-1), _ => JsonValue.Create(0), _ => JsonValue.Create(1), _ => JsonValue.Create(2),
        _ => JsonValue.Create(int.MaxValue), _ => JsonValue.Create(int.MinValue), _ => JsonValue.Create(2147483648L),
        _ => JsonValue.Create(long.MaxValue), _ => JsonValue.Create(1e308), _ => JsonValue.Create(-1e-300),
        _ => JsonValue.Create(0.5), _ => JsonValue.Create(1e20), _ => JsonValue.Create(""), _ => JsonValue.Create("x"),
        _ => JsonValue.Create("F32"), _ => JsonValue.Create("llama"), _ => JsonValue.Create(new string('a', 3000)),
        _ => JsonValue.Create(true), _ => JsonValue.Create(false), _ => null, _ => new JsonArray(), _ => new JsonObject(),
        r => new JsonArray(r.Next(-3, 100), r.Next(-3, 100)), r => new JsonArray(JsonValue.Create("a"), JsonValue.Create(r.Next())),
        r => new JsonArray(r.Next(0, 1 << 20), r.Next(0, 1 << 20), r.Next(0, 4)),
        r => new JsonObject { ["type"] = r.Next(2) == 0 ? "linear" : "yarn", ["factor"] = r.NextDouble() * 8 - 2 },
    ];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    /// <summary>One to three byte-level mutations of <paramref name="input"/>.</summary>
    public byte[] MutateBytes(byte[] input)
    {
        var bytes = new List<byte>(input);
        int rounds = 1 + _random.Next(3);
        for (int i = 0; i < rounds && bytes.Count > 0; i++)
        {
            int at = _random.Next(bytes.Count);
            int length = Math.Min(1 + _random.Next(16), bytes.Count - at);
            switch (_random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    bytes[at] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                    break;
                case 2:
                    bytes.RemoveRange(at, length);
                    break;
                case 3:
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    var noise = new byte[length];
                    _random.NextBytes(noise);
                    bytes.InsertRange(at, noise);
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>The JSON text of <paramref name="json"/> after one to three structural mutations, or after byte mutations.</summary>
    public byte[] MutateJson(string json)
    {
        if (_random.Next(4) == 0)
            return MutateBytes(Encoding.UTF8.GetBytes(json));
        var root = JsonNode.Parse(json)!;
        int rounds = 1 + _random.Next(3);
        for (int i = 0; i < rounds; i++)
            MutateNode(root);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private void MutateNode(JsonNode root)
    {
        var containers = new List<JsonNode>();
        Collect(root, containers);
        var container = containers[_random.Next(containers.Count)];
        if (container is JsonObject obj && obj.Count > 0)
        {
            var key = obj.ElementAt(_random.Next(obj.Count)).Key;
            switch (_random.Next(5))
            {
                case 0:
                    obj.Remove(key);
                    break;
                case 1:
                    var moved = obj[key];
                    obj.Remove(key);
                    obj[key + "_" + _random.Next(10)] = moved;
                    break;
                case 2:
                    obj["fuzz_" + _random.Next(1000)] = obj[key]?.DeepClone();
                    break;
                default:
                    obj[key] = Interesting();
                    break;
            }
        }
        else if (container is JsonArray array && array.Count > 0)
        {
            int index = _random.Next(array.Count);
            switch (_random.Next(4))
            {
                case 0:
                    array.RemoveAt(index);
                    break;
                case 1:
                    array.Add(array[index]?.DeepClone());
                    break;
                default:
                    array[index] = Interesting();
                    break;
            }
        }
    }

    private JsonNode? Interesting() => InterestingValues[_random.Next(InterestingValues.Length)](_random);

    private static void Collect(JsonNode? node, List<JsonNode> containers)
    {
        switch (node)
        {
            case JsonObject obj:
                containers.Add(obj);
                foreach (var (_, child) in obj)
                    Collect(child, containers);
                break;
            case JsonArray array:
                containers.Add(array);
                foreach (var child in array)
                    Collect(child, containers);
                break;
        }
    }
}
