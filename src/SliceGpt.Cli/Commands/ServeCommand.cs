using System.CommandLine;
using Microsoft.Extensions.Hosting;
using SliceGpt.Extensions.AI;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Serving;
using SliceGpt.Server;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Cli.Commands;

/// <summary>
/// <c>slicegpt serve</c>: the model behind an OpenAI-compatible HTTP server (continuous batching, streaming, cancellation
/// on disconnect) until Ctrl+C or SIGTERM. One line on stderr when it is ready.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var tokenizer = CommonOptions.Tokenizer();
        var host = new Option<string>("--host") { Description = "Interface to listen on (0.0.0.0: every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port)", DefaultValueFactory = _ => 8080 };
        var name = new Option<string?>("--model-name") { Description = "The model id clients send and /v1/models lists (default: the checkpoint's folder or file name)" };
        var chatTemplate = new Option<string?>("--chat-template")
        {
            Description = "A Jinja chat template file for /v1/chat/completions (default: chat_template of the checkpoint's tokenizer_config.json)",
        };
        var maxConcurrent = new Option<int>("--max-concurrent") { Description = "Sequences decoded together in one batch", DefaultValueFactory = _ => 16 };
        var maxContext = new Option<int?>("--max-context") { Description = "Positions per sequence, prompt and completion (default: the model's)" };
        var maxQueue = new Option<int>("--max-queue") { Description = "Waiting requests beyond which new ones get 429", DefaultValueFactory = _ => 256 };
        var device = DeviceOptions.Device();
        var precision = DeviceOptions.Precision();
        var command = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API (/v1/completions, /v1/chat/completions, /v1/models, /health)")
        {
            model, tokenizer, host, port, name, chatTemplate, maxConcurrent, maxContext, maxQueue, device, precision,
        };
        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            int portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535)
                throw new CliUsageException($"--port must be in 0..65535, got {portValue}");
            var engineOptions = new EngineOptions
            {
                MaxConcurrentSequences = parse.GetValue(maxConcurrent),
                MaxContext = parse.GetValue(maxContext),
                MaxQueuedRequests = parse.GetValue(maxQueue),
            };
            if (engineOptions.MaxConcurrentSequences < 1)
                throw new CliUsageException($"--max-concurrent must be ≥ 1, got {engineOptions.MaxConcurrentSequences}");
            if (engineOptions.MaxContext is < 2)
                throw new CliUsageException($"--max-context must be ≥ 2, got {engineOptions.MaxContext}");
            if (engineOptions.MaxQueuedRequests < 0)
                throw new CliUsageException($"--max-queue must be ≥ 0, got {engineOptions.MaxQueuedRequests}");
            string tokenizerPath = ModelInputs.TokenizerPath(modelPath, parse.GetValue(tokenizer));
            var tok = ModelInputs.LoadTokenizer(modelPath, tokenizerPath, ModelLoader.ReadConfig(modelPath));
            var (template, problem) = LoadChatTemplate(modelPath, tokenizerPath, parse.GetValue(chatTemplate));
            var loaded = ModelLoader.Load<float>(modelPath);
            string modelName = parse.GetValue(name) ?? DefaultName(modelPath);
            using var backend = DeviceOptions.Resolve(parse.GetValue(device)!, parse.GetValue(precision), loaded.Config.StorageDType);
            using var executable = backend.Prepare(loaded);
            using var engine = new InferenceEngine(executable, tok, engineOptions);
            // The host shuts the server down gracefully on SIGINT/SIGTERM; the CLI's exit-130/143 handlers stand aside.
            Interruption.DeferToHost();
            var app = OpenAIServer.Create(new ServedModel(modelName, engine, tok, template, problem), parse.GetValue(host)!, portValue);
            try
            {
                try
                {
                    app.StartAsync().GetAwaiter().GetResult();
                }
                catch (IOException e)
                {
                    throw new CliUsageException($"cannot listen on {parse.GetValue(host)}:{portValue}: {e.Message}");
                }
                if (problem is not null)
                    context.Err.WriteLine($"no chat template, so /v1/chat/completions is refused: {problem}");
                context.Err.WriteLine($"listening on {app.Address()}, model {modelName} on {engine.Backend}");
                app.WaitForShutdownAsync().GetAwaiter().GetResult();
            }
            finally
            {
                app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return CliApp.Success;
        });
        return command;
    }

    // An explicit template must load; a checkpoint without one still serves completions.
    private static (ChatTemplate? Template, string? Problem) LoadChatTemplate(string modelPath, string tokenizerPath, string? explicitFile)
    {
        try
        {
            return explicitFile is not null
                ? (ChatTemplate.FromFile(explicitFile, modelPath), null)
                : (ChatTemplate.FromCheckpoint(modelPath, tokenizerPath), null);
        }
        catch (MissingChatTemplateException e)
        {
            return (null, e.Message);
        }
        catch (ChatTemplateException e)
        {
            throw new CliUsageException(e.Message);
        }
    }

    private static string DefaultName(string modelPath)
    {
        var full = Path.GetFullPath(modelPath).TrimEnd(Path.DirectorySeparatorChar);
        return Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileNameWithoutExtension(full);
    }
}
