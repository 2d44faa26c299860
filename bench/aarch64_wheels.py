"""Check that every compiled runtime dependency has a wheel for a 64-bit ARM board (Pi, Jetson).

Run: ``.venv/bin/python bench/aarch64_wheels.py`` (about a minute; needs the package index).
Asks pip, as if installing on aarch64 Linux with CPython 3.11 and binary wheels only, which
version and which wheel it would pick (``pip install --dry-run --report``: pip reads each
wheel's metadata, nothing is built or installed), for three platform profiles:

* ``glibc-2.35``: manylinux_2_17 ... manylinux_2_35 (Raspberry Pi OS 12 Bookworm has glibc
  2.36, JetPack 6 / Ubuntu 22.04 has 2.35);
* ``glibc-2.31``: manylinux_2_17 ... manylinux_2_31 (Pi OS 11 Bullseye, JetPack 5);
* ``manylinux2014-only``: the trap in shared/MODELS.md, where pip silently picks old
  onnxruntime/ctranslate2 releases.

Per compiled package: the newest version per profile and whether the version installed
here exists for aarch64; then the whole runtime (core + extra ``all`` of pyproject.toml,
with dependencies) resolved per profile. Writes bench/results/aarch64_wheels.json.
``--download DIR`` also downloads the compiled wheels of the first profile into DIR.

``--qemu-root DIR`` also runs the demo recording through ``edge-os listen`` on emulated
aarch64 with those wheels (qemu-user, Debian 12 arm64 userland in DIR, made with
``apt-get install qemu-user-static debootstrap`` and ``debootstrap --foreign --arch=arm64
--variant=minbase --include=python3.11,libpython3.11-stdlib,libgomp1 bookworm DIR``, then
every .deb in DIR/var/cache/apt/archives extracted with ``dpkg-deb -x``). It proves the
wheels load and give the same answers; emulated timings mean nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
PROFILES = {
    "glibc-2.35": [f"manylinux_2_{minor}_aarch64" for minor in range(35, 16, -1)]
    + ["manylinux2014_aarch64"],
    "glibc-2.31": [f"manylinux_2_{minor}_aarch64" for minor in range(31, 16, -1)]
    + ["manylinux2014_aarch64"],
    "manylinux2014-only": ["manylinux2014_aarch64"],
}
COMPILED = {
    "onnxruntime": "wake word, VAD, LLM fallback",
    "ctranslate2": "Whisper (faster-whisper)",
    "av": "faster-whisper's audio decoding (PyAV, bundles FFmpeg)",
    "numpy": "every model stage",
    "tokenizers": "LLM fallback tokenizer",
    "rapidfuzz": "grammar fuzzy matching, jiwer",
    "piper-phonemize": "Piper TTS (espeak-ng phonemes)",
    "pydantic-core": "config (core install)",
    "PyYAML": "config (core install)",
    "lgpio": "optional: gpiozero's pin factory on a Raspberry Pi 5",
    "onnxruntime-gpu": "optional CUDA EP: PyPI's aarch64 build is for server ARM, not JetPack",
}


def pip_report(requirements: list[str], platforms: list[str], deps: bool) -> dict[str, Any]:
    """What pip would install on aarch64 CPython 3.11 (binary wheels only), or its error."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        argv = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "--target",
            str(Path(tmp) / "target"),
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--abi",
            "cp311",
            *[arg for platform in platforms for arg in ("--platform", platform)],
            *([] if deps else ["--no-deps"]),
            *requirements,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
            return {"error": " ".join(lines) or done.stderr.strip()[-400:]}
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    rows = []
    for item in installs:
        wheel = item["download_info"]["url"].rsplit("/", 1)[-1]
        rows.append(
            {
                "name": item["metadata"]["name"],
                "version": item["metadata"]["version"],
                "wheel": wheel,
                "compiled": "aarch64" in wheel,
            }
        )
    return {"packages": sorted(rows, key=lambda row: str(row["name"]).lower())}


def installed(name: str) -> str | None:
    """The version installed in this (x86) environment, if any."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def check_package(name: str) -> dict[str, Any]:
    """Newest aarch64 wheel per profile, and whether this machine's version has one."""
    here = installed(name)
    row: dict[str, Any] = {"used_for": COMPILED[name], "x86_installed": here, "newest": {}}
    for profile, platforms in PROFILES.items():
        found = pip_report([name], platforms, deps=False)
        row["newest"][profile] = (
            {k: found["packages"][0][k] for k in ("version", "wheel")}
            if "packages" in found
            else found
        )
    if here is not None:
        same = pip_report([f"{name}=={here}"], PROFILES["glibc-2.35"], deps=False)
        row["x86_version_on_aarch64"] = same["packages"][0]["wheel"] if "packages" in same else None
    return row


def runtime_requirements() -> list[str]:
    """Core dependencies plus extra ``all``, self-references (``edge-os[...]``) expanded."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    wanted, seen, pending = list(project["dependencies"]), set(), ["all"]
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in extras[extra]:
            match = re.fullmatch(r"edge-os\[([^\]]+)\]", requirement.replace(" ", ""))
            if match:
                pending += match.group(1).split(",")
            elif requirement not in wanted:
                wanted.append(requirement)
    return wanted


def download(directory: Path, result: dict[str, Any]) -> list[str]:
    """Download the compiled wheels the first profile picked; names of the files."""
    directory.mkdir(parents=True, exist_ok=True)
    platforms = PROFILES["glibc-2.35"]
    pins = [
        f"{row['name']}=={row['version']}"
        for row in result["runtime"]["glibc-2.35"].get("packages", [])
        if row["compiled"]
    ]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(directory)]
        + ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp"]
        + [arg for platform in platforms for arg in ("--platform", platform)]
        + pins,
        check=True,
    )
    return sorted(path.name for path in directory.glob("*.whl"))


def run_qemu(root: Path) -> dict[str, Any]:
    """Install the runtime for aarch64 under ``root`` and run ``edge-os listen`` in qemu-user."""
    site = root / "opt" / "edge-os-site"
    platforms = PROFILES["glibc-2.35"]
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(site)]
    install += ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp"]
    install += ["--abi", "cp311", *[arg for p in platforms for arg in ("--platform", p)]]
    subprocess.run([*install, *runtime_requirements()], check=True)
    # qemu-user 7.2 shows the host's x86 /proc/cpuinfo, on which onnxruntime's CPU probe
    # crashes; qemu looks paths up under -L first, so the guest sees a Cortex-A72's instead.
    cpu = "Features\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n"
    (root / "proc").mkdir(exist_ok=True)
    (root / "proc" / "cpuinfo").write_text(
        "".join(f"processor\t: {i}\n{cpu}\n" for i in range(4)), encoding="utf-8"
    )
    wav = REPO / "audio" / "samples" / "hey-jarvis-turn-on-the-kitchen-light.wav"
    argv = ["qemu-aarch64-static", "-cpu", "cortex-a72", "-L", str(root)]
    argv += ["-E", f"PYTHONPATH={site}:{REPO}", str(root / "usr" / "bin" / "python3.11")]
    argv += ["-m", "edge_os", "-c", str(REPO / "devices" / "example-home.yaml")]
    argv += ["listen", str(wav), "--json", "--no-llm"]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {
        "emulated_cpu": "cortex-a72 (qemu-aarch64-static -cpu cortex-a72)",
        "exit_code": done.returncode,
        "wall_s": round(time.perf_counter() - started, 1),
        "events": events,
        "stderr_tail": done.stderr[-600:],
        "note": "emulation is ~100x slower than a real board: timings mean nothing",
    }


def main() -> int:
    """Run the checks and write bench/results/aarch64_wheels.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--download", type=Path, metavar="DIR", help="also fetch the wheels")
    parser.add_argument("--qemu-root", type=Path, metavar="DIR", help="arm64 rootfs for qemu")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    requirements = runtime_requirements()
    with ThreadPoolExecutor(max_workers=4) as pool:
        packages = dict(zip(COMPILED, pool.map(check_package, COMPILED), strict=True))
        runtime = dict(
            zip(
                PROFILES,
                pool.map(lambda tags: pip_report(requirements, tags, deps=True), PROFILES.values()),
                strict=True,
            )
        )
    pip_version = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    ).stdout.split(" from ")[0]
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "target": "aarch64 Linux, CPython 3.11 (cp311), binary wheels only",
        "pip": pip_version,
        "method": "pip install --dry-run --report --only-binary=:all: --platform ...",
        "profiles": PROFILES,
        "packages": packages,
        "runtime_requirements": requirements,
        "runtime": runtime,
    }
    for found in runtime.values():
        if "packages" in found:
            found["compiled"] = {
                row["name"]: row["version"] for row in found["packages"] if row["compiled"]
            }
    if args.download:
        result["downloaded"] = download(args.download, result)
    if args.qemu_root:
        result["qemu"] = run_qemu(args.qemu_root)
        print(json.dumps(result["qemu"]["events"][-4:]))
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / "aarch64_wheels.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name, row in packages.items():
        newest = {p: v.get("version", "none") for p, v in row["newest"].items()}
        print(f"{name:16} x86 {row['x86_installed']}  aarch64 newest {newest}")
    for profile, found in runtime.items():
        print(f"runtime on {profile}: {found.get('compiled') or found.get('error')}")
    print(f"wrote {out}")
    return 0 if "packages" in runtime["glibc-2.35"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
