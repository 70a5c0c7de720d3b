using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Cli.Commands;

/// <summary>Resolves the model and tokenizer a command was given.</summary>
internal static class ModelInputs
{
    public static ITokenizer LoadTokenizer(string modelPath, string? tokenizerPath)
    {
        var path = tokenizerPath ?? ModelLoader.FindTokenizer(modelPath)
            ?? throw new CliUsageException($"no tokenizer found beside {modelPath} (no tokenizer.json, no llama2.c tokenizer .bin); pass --tokenizer");
        return TokenizerLoader.Load(path);
    }

    public static string ReadText(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file", path);
        return File.ReadAllText(path);
    }
}
