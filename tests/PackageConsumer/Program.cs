// Loads a model through the packed SliceGpt.Runtime package and serves one request through the engine: what a server
// author's first program does. Usage: PackageConsumer MODEL TOKENIZER. Prints the completion and its usage; exit 0 when
// the engine produced the tokens asked for.
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: PackageConsumer MODEL TOKENIZER");
    return 2;
}
try
{
    var model = ModelLoader.Load<float>(args[0]);
    var tokenizer = TokenizerLoader.Load(args[1]);
    using var backend = new CpuBackend();
    using var prepared = backend.Prepare(model);
    using var engine = new InferenceEngine(prepared, tokenizer);
    var result = await engine.CompleteAsync(new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 12, IgnoreEos = true });
    Console.WriteLine($"Once upon a time{result.Text}");
    Console.WriteLine($"{result.Usage.CompletionTokens} tokens, finish {result.FinishReason}, on {result.Backend}");
    return result.Usage.CompletionTokens == 12 ? 0 : 1;
}
catch (SliceGpt.Native.Cpu.BlasUnavailableException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 3;
}
