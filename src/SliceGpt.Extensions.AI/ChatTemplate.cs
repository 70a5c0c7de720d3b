using System.Text.Json;
using SliceGpt.Extensions.AI.Jinja;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Extensions.AI;

/// <summary>A chat message as a template sees it (<c>message['role']</c>, <c>message['content']</c>, <c>message['name']</c>).</summary>
/// <param name="Role">"system", "user", "assistant" (or another role the template knows).</param>
/// <param name="Content">The message's text.</param>
/// <param name="Name">The author's name, when given (templates see it only then).</param>
public sealed record ChatTurn(string Role, string Content, string? Name = null);

/// <summary>
/// A Hugging Face chat template: the Jinja program in a checkpoint's <c>tokenizer_config.json</c> (<c>chat_template</c>)
/// that turns messages into the prompt the model was trained on, with the special tokens it names (<c>bos_token</c>,
/// <c>eos_token</c>) and the tokens that end an assistant turn (<c>generation_config.json</c>'s <c>eos_token_id</c>).
/// Rendering follows <c>transformers</c>' <c>apply_chat_template</c>: Jinja with <c>trim_blocks</c> and
/// <c>lstrip_blocks</c>, variables <c>messages</c>, <c>add_generation_prompt</c>, the special tokens, <c>tools</c> and
/// <c>documents</c> (none), and <c>raise_exception</c>. Immutable and thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>The file that carries a checkpoint's chat template and special tokens.</summary>
    public const string TokenizerConfigFile = "tokenizer_config.json";

    private static readonly string[] SpecialTokenNames = ["bos_token", "eos_token", "unk_token", "pad_token"];

    private readonly JinjaTemplate _template;
    private readonly Dictionary<string, string> _specialTokens;

    private ChatTemplate(string source, string origin, Dictionary<string, string> specialTokens, IReadOnlyList<int> stopTokenIds)
    {
        _template = JinjaTemplate.Parse(source, origin);
        Source = source;
        Origin = origin;
        _specialTokens = specialTokens;
        StopTokenIds = stopTokenIds;
    }

    /// <summary>The Jinja source.</summary>
    public string Source { get; }

    /// <summary>Where the template came from (a file and field, or the caller's description); errors name it.</summary>
    public string Origin { get; }

    /// <summary>The special tokens the template sees as variables (<c>bos_token</c>, <c>eos_token</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> SpecialTokens => _specialTokens;

    /// <summary>The text of the BOS token, when there is one.</summary>
    public string? BosToken => _specialTokens.GetValueOrDefault("bos_token");

    /// <summary>The text of the EOS token, when there is one.</summary>
    public string? EosToken => _specialTokens.GetValueOrDefault("eos_token");

    /// <summary>Token ids that end an assistant turn besides the tokenizer's EOS (e.g. Llama 3's <c>&lt;|eot_id|&gt;</c>).</summary>
    public IReadOnlyList<int> StopTokenIds { get; }

    /// <summary>
    /// A template given explicitly. The special tokens default to the Llama convention (<c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>),
    /// which <see cref="Encode"/> maps to the tokenizer's BOS and EOS ids.
    /// </summary>
    /// <exception cref="ChatTemplateException">A syntax error, naming <paramref name="origin"/> and the line.</exception>
    public static ChatTemplate Parse(string source, string origin = "chat template", string? bosToken = "<s>", string? eosToken = "</s>",
        IReadOnlyList<int>? stopTokenIds = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var tokens = new Dictionary<string, string>();
        if (bosToken is not null)
            tokens["bos_token"] = bosToken;
        if (eosToken is not null)
            tokens["eos_token"] = eosToken;
        return new ChatTemplate(source, origin, tokens, stopTokenIds ?? []);
    }

    /// <summary>
    /// The template in a file (e.g. a <c>.jinja</c> file); the special tokens and stop tokens come from the checkpoint at
    /// <paramref name="modelPath"/> when it has a <c>tokenizer_config.json</c>, else they default as in <see cref="Parse"/>.
    /// </summary>
    /// <exception cref="ChatTemplateException">The file does not exist, or a syntax error naming the file and line.</exception>
    public static ChatTemplate FromFile(string templateFile, string? modelPath = null)
    {
        if (!File.Exists(templateFile))
            throw new ChatTemplateException(templateFile, null, "no such chat template file");
        string source = File.ReadAllText(templateFile);
        if (modelPath is not null && CheckpointFolder(modelPath) is { } folder && File.Exists(Path.Combine(folder, TokenizerConfigFile)))
        {
            var config = ReadJson(Path.Combine(folder, TokenizerConfigFile));
            return new ChatTemplate(source, templateFile, ReadSpecialTokens(config), ReadStopTokenIds(folder));
        }
        return Parse(source, templateFile, stopTokenIds: modelPath is not null && CheckpointFolder(modelPath) is { } f ? ReadStopTokenIds(f) : null);
    }

    /// <summary>
    /// The checkpoint's own template: <c>chat_template</c> in <c>tokenizer_config.json</c> (a string, or the template named
    /// "default" in a list), else a <c>chat_template.jinja</c> file, in the checkpoint's folder (the folder of a file
    /// checkpoint) or the tokenizer's.
    /// </summary>
    /// <exception cref="MissingChatTemplateException">No template: the message names the file looked at and how to pass one.</exception>
    /// <exception cref="ChatTemplateException">A template that is malformed (invalid JSON, a syntax error), naming the file.</exception>
    public static ChatTemplate FromCheckpoint(string modelPath, string? tokenizerPath = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var folders = new List<string>();
        if (CheckpointFolder(modelPath) is { } modelFolder)
            folders.Add(modelFolder);
        if (tokenizerPath is not null && Path.GetDirectoryName(Path.GetFullPath(tokenizerPath)) is { } tokenizerFolder && !folders.Contains(tokenizerFolder))
            folders.Add(tokenizerFolder);
        foreach (var folder in folders)
        {
            string configFile = Path.Combine(folder, TokenizerConfigFile);
            JsonElement? config = File.Exists(configFile) ? ReadJson(configFile) : null;
            var tokens = config is { } c ? ReadSpecialTokens(c) : [];
            if (config is { } withTemplate && ReadTemplateField(withTemplate, configFile) is { } source)
                return new ChatTemplate(source, $"{configFile} (chat_template)", tokens, ReadStopTokenIds(folder));
            string jinjaFile = Path.Combine(folder, "chat_template.jinja");
            if (File.Exists(jinjaFile))
                return new ChatTemplate(File.ReadAllText(jinjaFile), jinjaFile, tokens, ReadStopTokenIds(folder));
        }
        string looked = Path.Combine(folders.FirstOrDefault() ?? modelPath, TokenizerConfigFile);
        string what = File.Exists(looked) ? "has no chat_template" : "does not exist";
        throw new MissingChatTemplateException(looked,
            $"{what} (and there is no chat_template.jinja beside it), so the checkpoint has no chat template; pass one explicitly " +
            "(ChatTemplate.Parse or ChatTemplate.FromFile; `slicegpt serve --chat-template FILE`)");
    }

    /// <summary>Renders <paramref name="messages"/> as the prompt text.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">Append the start of an assistant turn (what a completion continues).</param>
    /// <param name="variables">Extra variables for templates that read them (e.g. <c>date_string</c>).</param>
    /// <exception cref="ChatTemplateException">A rendering error, or the template refused the messages
    /// (<see cref="ChatTemplateException.RaisedByTemplate"/>).</exception>
    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var context = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(ToTemplateValue).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            ["documents"] = null,
        };
        foreach (var (name, text) in _specialTokens)
            context[name] = text;
        if (variables is not null)
            foreach (var (name, value) in variables)
                context[name] = value;
        return _template.Render(context);
    }

    /// <summary>
    /// Tokenises rendered text the way <c>apply_chat_template(tokenize=True)</c> does: no BOS is added (the template writes
    /// it), and the texts of the BOS and EOS tokens become their ids even for tokenizers that do not parse special tokens
    /// in text (llama2.c's).
    /// </summary>
    public int[] Encode(string rendered, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(rendered);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var specials = new List<(string Text, int Id)>();
        if (BosToken is { Length: > 0 } bos && tokenizer.BosId is int bosId)
            specials.Add((bos, bosId));
        if (EosToken is { Length: > 0 } eos && tokenizer.EosId is int eosId)
            specials.Add((eos, eosId));
        var ids = new List<int>();
        int at = 0;
        while (at < rendered.Length)
        {
            int next = -1, length = 0, id = 0;
            foreach (var (text, tokenId) in specials)
            {
                int found = rendered.IndexOf(text, at, StringComparison.Ordinal);
                if (found >= 0 && (next < 0 || found < next))
                    (next, length, id) = (found, text.Length, tokenId);
            }
            int end = next < 0 ? rendered.Length : next;
            if (end > at)
                ids.AddRange(tokenizer.Encode(rendered[at..end], addBos: false));
            if (next < 0)
                break;
            ids.Add(id);
            at = next + length;
        }
        return [.. ids];
    }

    /// <summary>Renders and tokenises <paramref name="messages"/>: the prompt tokens of a chat completion.</summary>
    public int[] Apply(IReadOnlyList<ChatTurn> messages, ITokenizer tokenizer, bool addGenerationPrompt = true) =>
        Encode(Render(messages, addGenerationPrompt), tokenizer);

    private static Dictionary<string, object?> ToTemplateValue(ChatTurn turn)
    {
        var message = new Dictionary<string, object?> { ["role"] = turn.Role, ["content"] = turn.Content };
        if (turn.Name is not null)
            message["name"] = turn.Name;
        return message;
    }

    private static string? CheckpointFolder(string modelPath) =>
        Directory.Exists(modelPath) ? Path.GetFullPath(modelPath) : Path.GetDirectoryName(Path.GetFullPath(modelPath));

    private static JsonElement ReadJson(string file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ChatTemplateException(file, null, $"not valid JSON: {e.Message}");
        }
    }

    // chat_template is a string, or a list of {name, template} of which "default" is the chat template.
    private static string? ReadTemplateField(JsonElement config, string file)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("chat_template", out var field))
            return null;
        switch (field.ValueKind)
        {
            case JsonValueKind.String:
                return field.GetString();
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Array:
                var names = new List<string>();
                foreach (var entry in field.EnumerateArray())
                {
                    if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                        || !entry.TryGetProperty("template", out var template) || template.ValueKind != JsonValueKind.String)
                        throw new ChatTemplateException(file, null, "chat_template: each entry of the list needs a string name and template");
                    if (name.GetString() == "default")
                        return template.GetString();
                    names.Add(name.GetString()!);
                }
                throw new ChatTemplateException(file, null, $"chat_template lists templates ({string.Join(", ", names)}) but none named \"default\"");
            default:
                throw new ChatTemplateException(file, null, $"chat_template must be a string or a list of named templates, not {field.ValueKind}");
        }
    }

    // A special token is a string or an added-token object {"content": ...}.
    private static Dictionary<string, string> ReadSpecialTokens(JsonElement config)
    {
        var tokens = new Dictionary<string, string>();
        if (config.ValueKind != JsonValueKind.Object)
            return tokens;
        foreach (var name in SpecialTokenNames)
        {
            if (!config.TryGetProperty(name, out var value))
                continue;
            if (value.ValueKind == JsonValueKind.String)
                tokens[name] = value.GetString()!;
            else if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                tokens[name] = content.GetString()!;
        }
        return tokens;
    }

    // generation_config.json's eos_token_id (a number or a list): every token that ends a turn.
    private static IReadOnlyList<int> ReadStopTokenIds(string folder)
    {
        string file = Path.Combine(folder, "generation_config.json");
        if (!File.Exists(file))
            return [];
        var config = ReadJson(file);
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("eos_token_id", out var eos))
            return [];
        return eos.ValueKind switch
        {
            JsonValueKind.Number => [eos.GetInt32()],
            JsonValueKind.Array => eos.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetInt32()).ToArray(),
            _ => [],
        };
    }
}
