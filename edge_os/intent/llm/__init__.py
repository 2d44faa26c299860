"""LLM fallback: a small quantized LLM whose output is constrained to registry intents."""
