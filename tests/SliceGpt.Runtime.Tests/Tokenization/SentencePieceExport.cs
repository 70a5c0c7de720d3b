using System.Text;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>
/// Test support: writes a SentencePiece <c>tokenizer.model</c> in llama2.c's <c>tokenizer.bin</c> format, as
/// llama2.c's <c>tokenizer.py</c> export does (piece "▁" → " ", BOS as "\n&lt;s&gt;\n", EOS as
/// "\n&lt;/s&gt;\n", header = longest piece in bytes). Lets the tests run the llama2.c encoder on the real
/// Llama 2 vocabulary, whose run.c ids are published, without storing a derived file.
/// </summary>
internal static class SentencePieceExport
{
    public static byte[] ToLlama2cBin(byte[] model)
    {
        var pieces = new List<(byte[] Bytes, float Score)>();
        // ModelProto field 1 (repeated SentencePiece): piece = field 1 (string), score = field 2 (float).
        ForEachField(model, (field, wireType, value, fixed32) =>
        {
            if (field != 1 || wireType != 2)
                return;
            string piece = "";
            float score = 0;
            ForEachField(value, (f, w, v, f32) =>
            {
                if (f == 1 && w == 2)
                    piece = Encoding.UTF8.GetString(v);
                else if (f == 2 && w == 5)
                    score = BitConverter.UInt32BitsToSingle(f32);
            });
            int id = pieces.Count;
            piece = (id switch { 1 => "\n<s>\n", 2 => "\n</s>\n", _ => piece }).Replace('▁', ' ');
            pieces.Add((Encoding.UTF8.GetBytes(piece), score));
        });

        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write(pieces.Max(p => p.Bytes.Length));
        foreach (var (bytes, score) in pieces)
        {
            writer.Write(score);
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
        writer.Flush();
        return stream.ToArray();
    }

    private delegate void FieldVisitor(int field, int wireType, byte[] lengthDelimited, uint fixed32);

    // Minimal protobuf walk: varint (0), 64-bit (1), length-delimited (2) and 32-bit (5) fields.
    private static void ForEachField(byte[] message, FieldVisitor visit)
    {
        int at = 0;
        while (at < message.Length)
        {
            ulong key = ReadVarint(message, ref at);
            int field = (int)(key >> 3), wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    ReadVarint(message, ref at);
                    visit(field, wireType, [], 0);
                    break;
                case 1:
                    at += 8;
                    break;
                case 2:
                    int length = (int)ReadVarint(message, ref at);
                    visit(field, wireType, message[at..(at + length)], 0);
                    at += length;
                    break;
                case 5:
                    visit(field, wireType, [], BitConverter.ToUInt32(message, at));
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"protobuf wire type {wireType} at byte {at}");
            }
        }
    }

    private static ulong ReadVarint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
    }
}
