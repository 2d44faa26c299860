"""Sentence embeddings: all-MiniLM-L6-v2 as an INT8 ONNX graph, built offline without torch."""
