namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// The text holds a character the tokenizer cannot represent: it is not in the vocabulary, and the tokenizer has neither
/// byte fallback nor an unknown token. The message names the character.
/// </summary>
public sealed class UnencodableTextException(string message) : SliceGptException(message);
