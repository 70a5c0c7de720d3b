using System.CommandLine;

namespace SliceGpt.Cli.Commands;

/// <summary>Options shared by several commands.</summary>
internal static class CommonOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print the full trace of an error",
        Recursive = true,
    };

    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "A Hugging Face folder (config.json + safetensors) or a llama2.c .bin checkpoint",
        Required = true,
    };

    public static Option<string?> Tokenizer() => new("--tokenizer")
    {
        Description = "Tokenizer file (tokenizer.json or llama2.c tokenizer .bin); default: found beside the model",
    };

    public static Option<bool> Json() => new("--json") { Description = "Print the result as one JSON object" };
}
