using SliceGpt.Runtime.IO;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Cli.Commands;

/// <summary>Resolves and checks the model, tokenizer and texts a command was given, before any expensive work.</summary>
internal static class ModelInputs
{
    /// <summary>The tokenizer path: the one given, else the one beside the model (which must exist).</summary>
    public static string TokenizerPath(string modelPath, string? tokenizerPath)
    {
        ModelLoader.RequireExists(modelPath);
        return tokenizerPath ?? ModelLoader.FindTokenizer(modelPath)
            ?? throw new CliUsageException($"no tokenizer found beside {modelPath} (no tokenizer.json, no llama2.c tokenizer .bin); pass --tokenizer");
    }

    /// <summary>Loads the tokenizer and checks that its ids fit the model's vocabulary.</summary>
    public static ITokenizer LoadTokenizer(string modelPath, string tokenizerPath, ModelConfig config)
    {
        var tokenizer = TokenizerLoader.Load(tokenizerPath);
        TokenizerLoader.RequireFits(tokenizer, tokenizerPath, config.VocabSize, modelPath);
        return tokenizer;
    }

    /// <summary>A UTF-8 text file that holds more than white space.</summary>
    public static string ReadText(string path)
    {
        var text = Utf8Text.Read(path);
        if (string.IsNullOrWhiteSpace(text))
            throw new InputValidationException(path, null, text.Length == 0 ? "the file is empty" : "the file holds only white space");
        return text;
    }

    /// <summary>Encodes the text of <paramref name="file"/>; a character the tokenizer cannot encode is an error naming the file.</summary>
    public static int[] Encode(ITokenizer tokenizer, string text, string file)
    {
        try
        {
            return tokenizer.Encode(text, tokenizer.AddsBosByDefault);
        }
        catch (UnencodableTextException e)
        {
            throw new InputValidationException(file, null, e.Message, e);
        }
    }

    /// <summary>Checks that <paramref name="tokens"/> (the text of <paramref name="file"/>) hold at least one row of <paramref name="seqLen"/>.</summary>
    public static void RequireOneRow(int[] tokens, int seqLen, string file, string option)
    {
        if (PerplexityEvaluator.RowCount(tokens.Length, seqLen, null) < 1)
            throw new InputValidationException(file, null, $"the text has {tokens.Length} tokens, fewer than one row of {option} {seqLen}");
    }
}
