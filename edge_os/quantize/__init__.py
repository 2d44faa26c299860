"""INT8 variants of the small ONNX models, judged through the real wake and VAD adapters.

An offline tool above the engines (``edge-os models quantize``); where a built variant
lives and whether it is intact is :mod:`edge_os.models.variants`, below them.
"""
