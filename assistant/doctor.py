"""`make doctor`: which torch build is installed, read from package metadata (torch is not imported).

    torch        2.13.0+cpu (CPU build)
    nvidia-*     none
    verdict      ok: no CUDA wheels in this environment

The build is named by torch's local version label (`+cpu`, `+cu128`); a Linux torch with no label
is PyPI's CUDA build, which requires the `nvidia-*` packages. It reports; it changes nothing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata

__all__ = ["TorchBuild", "torch_build", "report", "main"]


@dataclass(frozen=True)
class TorchBuild:
    version: str | None  # None: torch is not installed
    kind: str  # "CPU", "CUDA" or "none"
    nvidia: tuple[str, ...]  # installed nvidia-* distributions, "name version"


def classify(version: str | None, nvidia: tuple[str, ...], platform: str = sys.platform) -> str:
    """CPU or CUDA from the version's local label, else from the nvidia-* packages (pure)."""
    if version is None:
        return "none"
    label = version.partition("+")[2]
    if label.startswith("cu") or label.startswith("rocm"):
        return "CUDA" if label.startswith("cu") else "ROCm"
    if label == "cpu" or platform != "linux":
        return "CPU"
    return "CUDA" if nvidia else "CPU"


def torch_build() -> TorchBuild:
    try:
        version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        version = None
    nvidia = tuple(sorted(
        f"{d.metadata['Name']} {d.version}" for d in metadata.distributions()
        if (d.metadata["Name"] or "").lower().startswith("nvidia-")
    ))
    return TorchBuild(version, classify(version, nvidia), nvidia)


def report(build: TorchBuild) -> tuple[str, bool]:
    """The lines `make doctor` prints, and whether the environment is free of CUDA wheels."""
    ok = build.kind in ("CPU", "none") and not build.nvidia
    torch_line = f"{build.version} ({build.kind} build)" if build.version else "not installed"
    nvidia_line = f"{len(build.nvidia)}: " + ", ".join(build.nvidia) if build.nvidia else "none"
    verdict = ("ok: no CUDA wheels in this environment" if ok else
               "CUDA wheels installed: fine with an NVIDIA GPU; elsewhere `make clean install` "
               "fetches the CPU build")
    lines = [f"{'torch':<12} {torch_line}", f"{'nvidia-*':<12} {nvidia_line}", f"{'verdict':<12} {verdict}"]
    return "\n".join(lines), ok


def main() -> int:
    print(report(torch_build())[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
