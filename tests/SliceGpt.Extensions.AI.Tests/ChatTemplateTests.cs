namespace SliceGpt.Extensions.AI.Tests;

/// <summary>
/// Real chat templates rendered as <c>transformers</c>' <c>apply_chat_template</c> renders them. Each expected string is
/// derived by hand from the template (trim_blocks and lstrip_blocks on, as Hugging Face's environment sets them).
/// </summary>
public class ChatTemplateTests
{
    private static readonly ChatTurn[] WithSystem =
    [
        new("system", "You are a helpful assistant"),
        new("user", "Hello"),
        new("assistant", "Hi there"),
        new("user", "Who are you"),
        new("assistant", "   I am an assistant   "),
        new("user", "Another question"),
    ];

    private static readonly ChatTurn[] WithoutSystem = WithSystem[1..];

    [Test]
    public void ChatMl()
    {
        Assert.That(HuggingFaceTemplates.ChatMl.Parse().Render(WithSystem), Is.EqualTo(
            "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n" +
            "<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n" +
            "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n" +
            "<|im_start|>assistant\n"));
    }

    [Test]
    public void Mistral_AlternatesRoles_AndRefusesASystemMessage()
    {
        var template = HuggingFaceTemplates.Mistral.Parse();
        Assert.That(template.Render(WithoutSystem), Is.EqualTo(
            "<s>[INST] Hello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"));
        var e = Assert.Throws<ChatTemplateException>(() => template.Render(WithSystem))!;
        Assert.That(e.RaisedByTemplate, Is.True);
        Assert.That(e.Reason, Is.EqualTo("Conversation roles must alternate user/assistant/user/assistant/..."));
    }

    [Test]
    public void Llama2Chat_FoldsTheSystemMessageIntoTheFirstTurn()
    {
        // content.strip() trims the padded assistant message; <<SYS>>\n comes from a "\\n" escape in the JSON.
        Assert.That(HuggingFaceTemplates.Llama2Chat.Parse().Render(WithSystem), Is.EqualTo(
            "<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s>" +
            "<s>[INST] Who are you [/INST] I am an assistant </s><s>[INST] Another question [/INST]"));
        Assert.That(HuggingFaceTemplates.Llama2Chat.Parse().Render(WithoutSystem[..1]), Is.EqualTo("<s>[INST] Hello [/INST]"));
    }

    [Test]
    public void Llama3Instruct()
    {
        // `'...' + message['content'] | trim + '...'`: the filter binds to the content alone.
        Assert.That(HuggingFaceTemplates.Llama3Instruct.Parse().Render(WithSystem), Is.EqualTo(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
    }

    [Test]
    public void Phi3_WithAndWithoutTheGenerationPrompt()
    {
        const string turns = "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n" +
            "<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n";
        var template = HuggingFaceTemplates.Phi3.Parse();
        Assert.That(template.Render(WithSystem), Is.EqualTo(turns + "<|assistant|>\n"));
        Assert.That(template.Render(WithSystem, addGenerationPrompt: false), Is.EqualTo(turns + "<|endoftext|>"));
    }

    [Test]
    public void Zephyr_TrimsTheNewlinesAfterBlockTags_AndKeepsThoseAfterOutputs()
    {
        var template = HuggingFaceTemplates.Zephyr.Parse();
        const string turns = "<|system|>\nYou are a helpful assistant</s>\n<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n" +
            "<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n<|user|>\nAnother question</s>\n";
        Assert.That(template.Render(WithSystem), Is.EqualTo(turns + "<|assistant|>\n"));
        Assert.That(template.Render(WithSystem, addGenerationPrompt: false), Is.EqualTo(turns));
    }

    [Test]
    public void TheCheckpointsTemplate_IsReadFromTokenizerConfig()
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", HuggingFaceTemplates.Llama3Instruct.TokenizerConfigJson);
        folder.Write("generation_config.json", """{"bos_token_id": 128000, "eos_token_id": [128001, 128009]}""");
        var template = ChatTemplate.FromCheckpoint(folder.Path);
        Assert.That(template.Origin, Does.StartWith(Path.Combine(folder.Path, "tokenizer_config.json")));
        Assert.That((template.BosToken, template.EosToken), Is.EqualTo(("<|begin_of_text|>", "<|end_of_text|>")));
        Assert.That(template.StopTokenIds, Is.EqualTo(new[] { 128001, 128009 }));
        Assert.That(template.Render([new("user", "Hi")]), Is.EqualTo(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
    }

    [Test]
    public void NamedTemplates_UseTheDefaultOne_AndAJinjaFileIsFound()
    {
        using var folder = new TempFolder();
        folder.Write("tokenizer_config.json", """{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ messages | length }}"}]}""");
        Assert.That(ChatTemplate.FromCheckpoint(folder.Path).Render([new("user", "x")]), Is.EqualTo("D1"));
        using var other = new TempFolder();
        other.Write("tokenizer_config.json", """{"eos_token": "</s>"}""");
        other.Write("chat_template.jinja", "{{ messages[0].content }}{{ eos_token }}\n");
        Assert.That(ChatTemplate.FromCheckpoint(Path.Combine(other.Path, "model.bin")).Render([new("user", "x")]), Is.EqualTo("x</s>"),
            "a file checkpoint's folder is searched; the source's trailing newline is dropped as Jinja does");
    }

    [Test]
    public void AnExplicitTemplateFile_TakesTheCheckpointsSpecialTokens_OrTheLlamaDefaults()
    {
        using var folder = new TempFolder();
        folder.Write("chat.jinja", "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}");
        string file = Path.Combine(folder.Path, "chat.jinja");
        Assert.That(ChatTemplate.FromFile(file).Render([new("user", "x")]), Is.EqualTo("<s>x</s>"));
        using var checkpoint = new TempFolder();
        checkpoint.Write("tokenizer_config.json", HuggingFaceTemplates.ChatMl.TokenizerConfigJson);
        var template = ChatTemplate.FromFile(file, checkpoint.Path);
        Assert.That((template.Origin, template.Render([new("user", "x")])), Is.EqualTo((file, "<s>x<|im_end|>")));
        Assert.That(() => ChatTemplate.FromFile(Path.Combine(folder.Path, "missing.jinja")), Throws.InstanceOf<ChatTemplateException>().With.Message.Contains("no such chat template file"));
    }

    [Test]
    public void ACheckpointWithoutTemplate_IsATypedErrorNamingTheFile()
    {
        using var folder = new TempFolder();
        var missing = Assert.Throws<MissingChatTemplateException>(() => ChatTemplate.FromCheckpoint(folder.Path))!;
        Assert.That(missing.File, Is.EqualTo(Path.Combine(folder.Path, "tokenizer_config.json")));
        Assert.That(missing.Message, Does.Contain("does not exist").And.Contain("--chat-template"));
        folder.Write("tokenizer_config.json", """{"bos_token": "<s>"}""");
        missing = Assert.Throws<MissingChatTemplateException>(() => ChatTemplate.FromCheckpoint(folder.Path))!;
        Assert.That(missing.Message, Does.Contain("has no chat_template"));
        folder.Write("tokenizer_config.json", """{"chat_template": "{% if %}"}""");
        var bad = Assert.Throws<ChatTemplateException>(() => ChatTemplate.FromCheckpoint(folder.Path))!;
        Assert.That((bad.Origin, bad.Line), Is.EqualTo((Path.Combine(folder.Path, "tokenizer_config.json") + " (chat_template)", (int?)1)));
    }

    [Test]
    public void Encode_TurnsTheSpecialTokenTextsIntoIds_WithoutAddingBos()
    {
        var tokenizer = new CharTokenizer();
        var template = ChatTemplate.Parse("{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}");
        var ids = template.Apply([new("user", "ab"), new("assistant", "c")], tokenizer);
        Assert.That(ids, Is.EqualTo(new[] { CharTokenizer.Bos, 'a', 'b', CharTokenizer.Eos, 'c', CharTokenizer.Eos }));
    }

    /// <summary>One id per character, BOS 1 and EOS 2: enough to see where the special tokens land.</summary>
    private sealed class CharTokenizer : Runtime.Tokenization.ITokenizer
    {
        public const int Bos = 1, Eos = 2;

        public int VocabSize => 256;

        public int? BosId => Bos;

        public int? EosId => Eos;

        public bool AddsBosByDefault => true;

        public int[] Encode(string text, bool addBos) => [.. addBos ? [Bos] : Array.Empty<int>(), .. text.Select(c => (int)c)];

        public string Decode(ReadOnlySpan<int> ids) => string.Concat(ids.ToArray().Where(i => i > 2).Select(i => (char)i));
    }
}

/// <summary>A temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("slicegpt-test-").FullName;

    public void Write(string name, string text) => File.WriteAllText(System.IO.Path.Combine(Path, name), text);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
