using System.Text.Json;

namespace SliceGpt.Extensions.AI.Tests;

/// <summary>
/// Chat templates of real checkpoints, each written as its <c>tokenizer_config.json</c> has it (the JSON string, escapes
/// and all, so the test reads it as the loader does), with the special tokens of that file.
/// </summary>
internal static class HuggingFaceTemplates
{
    /// <summary>teknium/OpenHermes-2.5-Mistral-7B (ChatML).</summary>
    public static readonly Model ChatMl = new(
        """{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}""",
        "<s>", "<|im_end|>");

    /// <summary>mistralai/Mixtral-8x7B-Instruct-v0.1 (the Mistral instruct format; no system role).</summary>
    public static readonly Model Mistral = new(
        """{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}""",
        "<s>", "</s>");

    /// <summary>meta-llama/Llama-2-7b-chat-hf.</summary>
    public static readonly Model Llama2Chat = new(
        """{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}""",
        "<s>", "</s>");

    /// <summary>meta-llama/Meta-Llama-3-8B-Instruct.</summary>
    public static readonly Model Llama3Instruct = new(
        """{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}""",
        "<|begin_of_text|>", "<|end_of_text|>");

    /// <summary>microsoft/Phi-3-mini-4k-instruct.</summary>
    public static readonly Model Phi3 = new(
        """{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}""",
        "<s>", "<|endoftext|>");

    /// <summary>HuggingFaceH4/zephyr-7b-beta: one tag per line, so it relies on trim_blocks and lstrip_blocks.</summary>
    public static readonly Model Zephyr = new(
        """{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}""",
        "<s>", "</s>");

    /// <summary>A template as tokenizer_config.json spells it (a JSON string body) with its special tokens.</summary>
    public sealed record Model(string JsonString, string BosToken, string EosToken)
    {
        /// <summary>The template text, decoded from its JSON spelling.</summary>
        public string Source => JsonSerializer.Deserialize<string>("\"" + JsonString + "\"")!;

        public ChatTemplate Parse() => ChatTemplate.Parse(Source, "test template", BosToken, EosToken);

        /// <summary>The tokenizer_config.json of such a checkpoint (the fields a chat template reads).</summary>
        public string TokenizerConfigJson =>
            $$"""{"bos_token": {{JsonSerializer.Serialize(BosToken)}}, "eos_token": {"content": {{JsonSerializer.Serialize(EosToken)}}, "special": true}, "chat_template": "{{JsonString}}"}""";
    }
}
