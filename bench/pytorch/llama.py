"""transformers' LlamaForCausalLM with LLAMA-2 7B's shapes and random fp16 weights, built on the GPU from a config (no
download, no checkpoint), as the anchor for SliceGpt's end-to-end suites. Imports torch and transformers only inside
functions, so the scripts' ``--help`` and ``--dry-run`` need neither."""

import math
import os

# Everything is built from a config file: never reach for the Hub (the GPU machine has no network).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Keys of a Hugging Face config.json that describe the checkpoint rather than the architecture.
_NOT_ARCHITECTURE = ("_name_or_path", "architectures", "torch_dtype", "dtype", "transformers_version")


def config_kwargs(config):
    """The LlamaConfig arguments of a config.json dict (checkpoint metadata dropped)."""
    return {k: v for k, v in config.items() if k not in _NOT_ARCHITECTURE}


def build_model(torch, config, seed=0):
    """
    LlamaForCausalLM in fp16 on the current CUDA device with SDPA attention and transformers' own random initialisation
    (normal, std = initializer_range): the weights are made on the GPU directly in fp16 (no 27 GB fp32 host copy).
    Returns (model, attention implementation actually used, transformers version).
    """
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM
    llama_config = LlamaConfig(**config_kwargs(config), attn_implementation="sdpa")
    torch.manual_seed(seed)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float16)
    try:
        with torch.device("cuda"):
            model = LlamaForCausalLM(llama_config)
    finally:
        torch.set_default_dtype(previous)
    model.eval()
    model.requires_grad_(False)
    attention = getattr(model.config, "_attn_implementation", "unknown")
    return model, attention, transformers.__version__


def random_tokens(torch, batch, length, vocab, seed):
    generator = torch.Generator(device="cuda").manual_seed(seed)
    return torch.randint(0, vocab, (batch, length), device="cuda", generator=generator)


def check_loss(loss, vocab):
    """Random weights give a loss near ln(vocab), as SliceGpt's own warm-up checks: anything else is a broken forward."""
    if not math.isfinite(loss) or abs(loss - math.log(vocab)) > 2.0:
        raise RuntimeError(f"loss {loss:.3f} is not near ln({vocab}) = {math.log(vocab):.3f}: not timing a broken forward")


def make_static_cache(torch, model, batch, max_len):
    """A StaticCache for ``batch`` sequences of up to ``max_len`` tokens, across transformers' changing constructors."""
    from transformers import StaticCache
    attempts = [
        dict(config=model.config, max_batch_size=batch, max_cache_len=max_len, device=model.device, dtype=torch.float16),
        dict(config=model.config, max_cache_len=max_len),
        dict(config=model.config, batch_size=batch, max_cache_len=max_len, device=model.device, dtype=torch.float16),
    ]
    errors = []
    for kwargs in attempts:
        try:
            return StaticCache(**kwargs)
        except TypeError as e:
            errors.append(str(e))
    raise RuntimeError("no StaticCache constructor fits this transformers: " + "; ".join(errors))


def is_out_of_memory(torch, error):
    return isinstance(error, torch.cuda.OutOfMemoryError) or "out of memory" in str(error).lower()
