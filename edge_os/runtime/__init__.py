"""Inference runtimes shared by the stages (onnxruntime sessions, providers, threads)."""
