using System.Buffers.Binary;
using System.Text;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// The tokenizer of llama2.c checkpoints (<c>tokenizer.bin</c>, <c>tok512.bin</c> ...): SentencePiece BPE
/// pieces exported with their scores, encoded as llama2.c's <c>run.c</c> <c>encode()</c> does.
/// </summary>
/// <remarks>
/// File layout (little-endian): int32 max_token_length, then for each id: float32 score, int32 byte length,
/// the piece's bytes. Id 0 is <c>&lt;unk&gt;</c>, 1 BOS, 2 EOS; SentencePiece's "▁" is already a space.
/// Two deliberate departures from <c>run.c</c>, both matching SentencePiece, which tokenized the training
/// data of these models: a character that is not a piece becomes <c>&lt;unk&gt;</c> (a run of them one
/// <c>&lt;unk&gt;</c>) when the vocabulary has no <c>&lt;0xNN&gt;</c> byte pieces, where <c>run.c</c> would
/// emit byte+3 ids that mean other characters; and merges never produce or consume the
/// <c>&lt;unk&gt;</c>/BOS/EOS/byte pieces, which <c>run.c</c> would only do for text spelling them out.
/// </remarks>
public sealed class Llama2cTokenizer : ITokenizer
{
    private const int UnkId = 0;
    private const int FirstBytePiece = 3; // <0x00> has id 3 when the vocabulary has byte pieces

    private readonly byte[][] _pieces; // (vocabSize) raw piece bytes
    private readonly float[] _scores; // (vocabSize) SentencePiece scores: the higher, the earlier a piece is merged
    private readonly int[] _byteOfPiece; // (vocabSize) the byte a <0xNN> piece stands for, else -1
    private readonly Dictionary<int, int> _codepointIds; // single-codepoint pieces, by code point
    private readonly BpeMergeTable _merges;
    private readonly int _dummyPrefixId; // the " " piece, -1 if absent

    private Llama2cTokenizer(byte[][] pieces, float[] scores, int maxTokenLength)
    {
        _pieces = pieces;
        _scores = scores;
        MaxTokenLength = maxTokenLength;
        HasByteFallback = pieces.Length >= FirstBytePiece + 256
            && Enumerable.Range(0, 256).All(b => Latin1(pieces[FirstBytePiece + b]) == $"<0x{b:X2}>");

        // Latin-1 maps each byte to one char, so pieces that are not valid UTF-8 still compare byte-exactly.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        _codepointIds = new Dictionary<int, int>();
        _byteOfPiece = new int[pieces.Length];
        for (int id = 0; id < pieces.Length; id++)
        {
            // run.c finds duplicate strings by binary search; here the lowest id wins, which is stable.
            ids.TryAdd(Latin1(pieces[id]), id);
            _byteOfPiece[id] = ParseBytePiece(pieces[id]);
            if (Rune.DecodeFromUtf8(pieces[id], out var rune, out int used) == System.Buffers.OperationStatus.Done
                && used == pieces[id].Length)
                _codepointIds.TryAdd(rune.Value, id);
        }
        _dummyPrefixId = ids.GetValueOrDefault(" ", -1);
        _merges = BuildMerges(pieces, scores, ids, HasByteFallback);
    }

    /// <inheritdoc />
    public int VocabSize => _pieces.Length;

    /// <inheritdoc />
    public int? BosId => 1;

    /// <inheritdoc />
    public int? EosId => 2;

    /// <inheritdoc />
    public bool AddsBosByDefault => true;

    /// <summary>The header's max_token_length (bytes of the longest piece).</summary>
    public int MaxTokenLength { get; }

    /// <summary>Whether ids 3..258 are the byte pieces <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c>.</summary>
    public bool HasByteFallback { get; }

    /// <summary>Reads a llama2.c tokenizer file.</summary>
    /// <exception cref="TokenizerFormatException">The file is truncated or is not a llama2.c tokenizer.</exception>
    public static Llama2cTokenizer Load(string path)
    {
        // Streamed rather than read whole: a multi-gigabyte checkpoint passed by mistake fails at its first
        // implausible length instead of being loaded into memory.
        using var stream = new BufferedStream(InputFiles.OpenRead(path), 1 << 16);
        Span<byte> header = stackalloc byte[8];
        long offset = 0;
        if (stream.ReadAtLeast(header[..4], 4, throwOnEndOfStream: false) < 4)
            throw new TokenizerFormatException(path, $"truncated: {stream.Length} bytes, too short for the int32 max_token_length header");
        int maxTokenLength = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (maxTokenLength is <= 0 or > 65536)
            throw new TokenizerFormatException(path, $"max_token_length header is {maxTokenLength}; not a llama2.c tokenizer file");
        offset += 4;

        var pieces = new List<byte[]>();
        var scores = new List<float>();
        while (true)
        {
            int id = pieces.Count;
            int read = stream.ReadAtLeast(header, 8, throwOnEndOfStream: false);
            if (read == 0)
                break;
            if (read < 8)
                throw new TokenizerFormatException(path, $"truncated: token {id} at byte {offset} needs 8 header bytes, {read} remain");
            float score = BinaryPrimitives.ReadSingleLittleEndian(header);
            int length = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
            if (length < 0 || length > maxTokenLength)
                throw new TokenizerFormatException(path, $"token {id} at byte {offset} has length {length}, outside 0..max_token_length {maxTokenLength}; not a llama2.c tokenizer file");
            offset += 8;
            var piece = new byte[length];
            read = stream.ReadAtLeast(piece, length, throwOnEndOfStream: false);
            if (read < length)
                throw new TokenizerFormatException(path, $"truncated: token {id} needs {length} bytes at byte {offset}, {read} remain");
            pieces.Add(piece);
            scores.Add(score);
            offset += length;
        }
        if (pieces.Count < 3)
            throw new TokenizerFormatException(path, $"only {pieces.Count} tokens; a llama2.c tokenizer has at least <unk>, BOS and EOS");
        return new Llama2cTokenizer([.. pieces], [.. scores], maxTokenLength);
    }

    /// <inheritdoc />
    public int[] Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var symbols = new List<int>(text.Length + 1);
        // add_dummy_prefix: SentencePiece prepends "▁" (here " ") to every non-empty text.
        if (text.Length > 0 && _dummyPrefixId >= 0)
            symbols.Add(_dummyPrefixId);

        Span<byte> utf8 = stackalloc byte[4];
        bool previousUnknown = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (_codepointIds.TryGetValue(rune.Value, out int id))
            {
                symbols.Add(id);
                previousUnknown = false;
            }
            else if (HasByteFallback)
            {
                int count = rune.EncodeToUtf8(utf8);
                for (int i = 0; i < count; i++)
                    symbols.Add(FirstBytePiece + utf8[i]);
                previousUnknown = false;
            }
            else if (!previousUnknown)
            {
                // SentencePiece fuses a run of unknown characters into one <unk>.
                symbols.Add(UnkId);
                previousUnknown = true;
            }
        }

        var output = new List<int>(symbols.Count + 1);
        if (addBos)
            output.Add(BosId!.Value);
        _merges.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(symbols), output);
        return [.. output];
    }

    /// <inheritdoc />
    /// <remarks>
    /// As <c>run.c</c>'s <c>decode()</c>: the piece after a BOS loses its leading space (the dummy prefix),
    /// <c>&lt;0xNN&gt;</c> pieces become raw bytes, and the bytes are read as UTF-8 (invalid sequences become
    /// U+FFFD). BOS and EOS produce no text; <c>&lt;unk&gt;</c> appears as its piece text.
    /// </remarks>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        int previous = -1;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_pieces.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary of {_pieces.Length}");
            bool afterBos = previous == BosId;
            previous = id;
            if (id == BosId || id == EosId)
                continue;
            if (_byteOfPiece[id] >= 0)
            {
                bytes.Add((byte)_byteOfPiece[id]);
                continue;
            }
            var piece = _pieces[id].AsSpan();
            if (afterBos && piece.Length > 0 && piece[0] == (byte)' ')
                piece = piece[1..];
            bytes.AddRange(piece);
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The raw bytes of piece <paramref name="id"/> (a space where SentencePiece shows "▁").</summary>
    public ReadOnlySpan<byte> Piece(int id) => _pieces[id];

    /// <summary>The score of piece <paramref name="id"/>; of two mergeable pairs, the higher-scoring result merges first.</summary>
    public float Score(int id) => _scores[id];

    // Every merge llama2.c could ever make: a piece P arises from the pair (L, R) exactly when L + R == P
    // as strings, so enumerating each piece's split points finds them all. Ranking by score (highest first,
    // equal scores sharing a rank) reproduces run.c's "best score, leftmost on ties" choice.
    private static BpeMergeTable BuildMerges(byte[][] pieces, float[] scores, Dictionary<string, int> ids, bool byteFallback)
    {
        var distinct = scores.Distinct().OrderByDescending(s => s).ToArray();
        var rankOfScore = new Dictionary<float, int>();
        for (int i = 0; i < distinct.Length; i++)
            rankOfScore[distinct[i]] = i;

        bool Mergeable(int id) => id > 2 && !(byteFallback && id < FirstBytePiece + 256);

        var table = new BpeMergeTable();
        var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int id = 0; id < pieces.Length; id++)
        {
            if (!Mergeable(id) || pieces[id].Length < 2)
                continue;
            var text = Latin1(pieces[id]);
            if (ids[text] != id)
                continue; // a duplicate string: the lowest id already covers it
            for (int split = 1; split < text.Length; split++)
            {
                if (lookup.TryGetValue(text.AsSpan(0, split), out int left) && Mergeable(left)
                    && lookup.TryGetValue(text.AsSpan(split), out int right) && Mergeable(right))
                    table.TryAdd(left, right, rankOfScore[scores[id]], id);
            }
        }
        return table;
    }

    private static string Latin1(byte[] piece) => Encoding.Latin1.GetString(piece);

    // run.c reads any piece shaped "<0xNN>" as the raw byte NN.
    private static int ParseBytePiece(byte[] piece)
    {
        if (piece.Length != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>')
            return -1;
        int hi = HexValue(piece[3]), lo = HexValue(piece[4]);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };
}
