"""What processing one upload costs the media processor, per upload class (issue 16, media cost).

Each case is one upload processed by ``shared.media.imaging.process`` in a fresh Python process,
so the peak RSS it reports is that upload's alone: after its imports and reading the file, the
child resets the kernel's RSS high-water mark (/proc/self/clear_refs), processes once, and reads
it (VmHWM); the difference from the RSS before is the peak RSS increase the upload caused
(Pillow's pixel buffers are C allocations, invisible to tracemalloc, so the kernel's high-water
mark is the honest figure). CPU is the child's process
time, wall its perf counter, both around ``process`` only. Two baselines are measured in the same
run, the same way: reading a 12 MP JPEG's header (what a refused bomb should cost) and decoding
a 1 MP JPEG (one small photo's pixels); every case is also printed as a multiple of the decode.

The inputs are generated once into .local/bench_media (content that compresses like the real
thing: photo-like noise for the JPEGs, flat gradients for the ~100 KB lossless images that
expand to 25 MP, a moving box over a gradient for the animations).

    python -m devstack.bench_media [--repeat 3] [--only png_25mp,gif_50f] [--json out.json]
    git archive <commit> shared | tar -x -C /tmp/before   # then: --code /tmp/before
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import PIL
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".local" / "bench_media"
# Bumped whenever a generator changes, so a stale cached input is never measured.
INPUTS_VERSION = 2


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    purpose: str  # "post" | "avatar"; "header" and "decode" are the baselines
    make: Callable[[], bytes]


def _photo(size: tuple[int, int], seed: int) -> Image.Image:
    """Photo-like content: smooth blotches plus fine grain, so a JPEG of it has a phone
    photo's entropy (a flat gradient would decode unrealistically fast)."""
    rng = random.Random(seed)
    w, h = size
    coarse = Image.frombytes("RGB", (w // 16, h // 16), rng.randbytes(w // 16 * (h // 16) * 3))
    fine = Image.frombytes("RGB", (w // 2, h // 2), rng.randbytes(w // 2 * (h // 2) * 3))
    base = coarse.resize(size, Image.Resampling.BICUBIC)
    return Image.blend(base, fine.resize(size, Image.Resampling.BILINEAR), 0.18)


def _gradient(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    w, h = size
    ramp = Image.linear_gradient("L")
    r = ramp.resize(size, Image.Resampling.BILINEAR)
    g = ramp.rotate(90).resize(size, Image.Resampling.BILINEAR)
    b = Image.new("L", (w, h), 128)
    return Image.merge("RGB", (r, g, b)).convert(mode)


def _save(im: Image.Image, fmt: str, **params: Any) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def _animation(fmt: str, frames: int, size: tuple[int, int], **params: Any) -> bytes:
    """A box moving over a gradient: delta frames stay small on disk, but every frame
    decodes to a full canvas."""
    background = _gradient(size).quantize(64) if fmt == "GIF" else _gradient(size)
    side = max(8, min(size) // 6)
    pics = []
    for i in range(frames):
        frame = background.copy()
        x = (size[0] - side) * i // max(1, frames - 1)
        ImageDraw.Draw(frame).rectangle((x, side, x + side, 2 * side), fill=i % 64)
        pics.append(frame)
    return _save(pics[0], fmt, save_all=True, append_images=pics[1:], duration=40, loop=0, **params)


def _exif_rotated() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # a phone held upright
    exif[0x010F] = "bench camera"
    return exif


def _png_bomb() -> bytes:
    return _save(Image.new("1", (10_000, 10_000)), "PNG")


def _gif_declaring(frames: int, width: int, height: int) -> bytes:
    """Frames that claim width x height but carry one empty LZW stream each."""
    screen = width.to_bytes(2, "little") + height.to_bytes(2, "little")
    out = b"GIF89a" + screen + bytes([0x80, 0, 0]) + b"\0\0\0\xff\xff\xff"
    for _ in range(frames):
        out += b"\x2c\0\0\0\0" + screen + b"\0" + b"\x02\x01\x2c\x00"
    return out + b"\x3b"


def _shifting(frames: int, size: tuple[int, int]) -> bytes:
    """Every pixel changes every frame (a gradient sliding diagonally): the encoder's worst
    case, still small on disk."""
    from PIL import ImageChops

    base = _gradient(size).quantize(64)
    pics = [ImageChops.offset(base, i * 21, i * 13) for i in range(frames)]
    return _save(pics[0], "GIF", save_all=True, append_images=pics[1:], duration=40, loop=0)


# 50 frames of 690x690 is just under the 24 M animation-pixel budget, 1095x1095 under the
# former 60 M; two frames of 3460x3460 are the largest frames an animation may have.
_ANIM_SIDE = 690
_OLD_ANIM_SIDE = 1095

CASES: tuple[Case, ...] = (
    Case("header", "baseline: open a 12 MP JPEG, read its header", "header",
         lambda: _save(_photo((4000, 3000), 2), "JPEG", quality=90)),
    Case("decode_1mp", "baseline: decode a 1 MP JPEG", "decode",
         lambda: _save(_photo((1155, 866), 1), "JPEG", quality=90)),
    Case("jpeg_small", "1600x900 JPEG photo, post", "post",
         lambda: _save(_photo((1600, 900), 3), "JPEG", quality=90)),
    Case("jpeg_12mp", "4000x3000 JPEG photo, EXIF rotated, post", "post",
         lambda: _save(_photo((4000, 3000), 2), "JPEG", quality=90, exif=_exif_rotated())),
    Case("jpeg_12mp_avatar", "4000x3000 JPEG photo, avatar", "avatar",
         lambda: _save(_photo((4000, 3000), 2), "JPEG", quality=90)),
    Case("png_25mp", "5000x5000 RGB PNG (gradient), post", "post",
         lambda: _save(_gradient((5000, 5000)), "PNG")),
    Case("png_25mp_rgba_avatar", "5000x5000 RGBA PNG (gradient), avatar", "avatar",
         lambda: _save(_gradient((5000, 5000), "RGBA"), "PNG")),
    Case("png_25mp_1bit", "bomb that passes the header check: 5000x5000 1-bit PNG", "post",
         lambda: _save(Image.new("1", (5000, 5000)), "PNG")),
    Case("webp_8mp", "3840x2160 lossless WebP (gradient), post", "post",
         lambda: _save(_gradient((3840, 2160)), "WEBP", lossless=True, method=0)),
    Case("gif_50f", f"50-frame GIF, {_ANIM_SIDE}x{_ANIM_SIDE}, moving box, post", "post",
         lambda: _animation("GIF", 50, (_ANIM_SIDE, _ANIM_SIDE))),
    Case("gif_50f_full", f"50-frame GIF, {_ANIM_SIDE}x{_ANIM_SIDE}, every pixel changes, post",
         "post", lambda: _shifting(50, (_ANIM_SIDE, _ANIM_SIDE))),
    Case("gif_50f_avatar", f"50-frame GIF, {_ANIM_SIDE}x{_ANIM_SIDE}, avatar", "avatar",
         lambda: _animation("GIF", 50, (_ANIM_SIDE, _ANIM_SIDE))),
    Case("gif_2f_12mp", "2-frame GIF, 3460x3460 frames, post", "post",
         lambda: _animation("GIF", 2, (3460, 3460))),
    Case("webp_50f", f"50-frame animated WebP, {_ANIM_SIDE}x{_ANIM_SIDE}, post", "post",
         lambda: _animation("WEBP", 50, (_ANIM_SIDE, _ANIM_SIDE), quality=80, method=0)),
    # What the former limits accepted (and the "before" column measured); refused now.
    Case("old_gif_50f_1mp", f"50-frame GIF, {_OLD_ANIM_SIDE}x{_OLD_ANIM_SIDE}, post", "post",
         lambda: _animation("GIF", 50, (_OLD_ANIM_SIDE, _OLD_ANIM_SIDE))),
    Case("old_gif_50f_1mp_full", f"50-frame GIF, {_OLD_ANIM_SIDE}x{_OLD_ANIM_SIDE}, every "
         "pixel changes, post", "post", lambda: _shifting(50, (_OLD_ANIM_SIDE, _OLD_ANIM_SIDE))),
    Case("old_gif_2f_25mp", "2-frame GIF, 5000x5000 frames, post", "post",
         lambda: _animation("GIF", 2, (5000, 5000))),
    Case("old_webp_50f_1mp", f"50-frame animated WebP, {_OLD_ANIM_SIDE}x{_OLD_ANIM_SIDE}, post",
         "post", lambda: _animation("WEBP", 50, (_OLD_ANIM_SIDE, _OLD_ANIM_SIDE), quality=80,
                                    method=0)),
    Case("old_webp_25mp", "5000x5000 lossless WebP (gradient), post", "post",
         lambda: _save(_gradient((5000, 5000)), "WEBP", lossless=True, method=0)),
    Case("bomb_png_100mp", "bomb: 10000x10000 1-bit PNG (refused)", "post", _png_bomb),
    Case("bomb_gif_frames", "bomb: GIF declaring 40 frames of 1500x1100 (refused)", "post",
         lambda: _gif_declaring(40, 1500, 1100)),
)  # fmt: skip
BY_NAME = {c.name: c for c in CASES}


def input_path(case: Case) -> Path:
    """The case's upload bytes on disk, generated on first use."""
    path = CACHE / f"v{INPUTS_VERSION}-{case.name}.bin"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # concurrent runs each write their own
        tmp.write_bytes(case.make())
        tmp.replace(path)
    return path


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> int:
    """Resets the kernel's peak RSS of this process to its current RSS and returns that (KiB).

    Not ``ru_maxrss``: Linux carries it across exec from the forking parent, so a child of a
    process that just generated a 25 MP input would report that parent's peak."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _child(path: str, purpose: str) -> dict[str, Any]:
    """Runs in the fresh process: import everything first so only the upload is measured."""
    from PIL import GifImagePlugin, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

    from shared.media import imaging

    assert GifImagePlugin and JpegImagePlugin and PngImagePlugin and WebPImagePlugin
    data = Path(path).read_bytes()
    before = _reset_peak_rss()
    w0, c0 = time.perf_counter(), time.process_time()
    outcome: str
    if purpose == "header":
        with Image.open(io.BytesIO(data)) as im:
            outcome = f"header {im.size[0]}x{im.size[1]}"
    elif purpose == "decode":
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            outcome = f"decoded {im.size[0]}x{im.size[1]}"
    else:
        try:
            out = imaging.process(data, purpose)  # type: ignore[arg-type]
            outcome = "ok " + " ".join(
                f"{v.width}x{v.height}{'a' if v.animated else ''}" for v in out.variants
            )
        except imaging.ImageRejected as exc:
            outcome = f"rejected {exc.reason}"
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {
        "bytes": len(data),
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before_mb": before / 1024,
        "peak_increase_mb": (_status_kb("VmHWM") - before) / 1024,
        "outcome": outcome,
    }


def measure_once(path: Path, purpose: str, code: Path | None = None) -> dict[str, Any]:
    """One upload processed in a fresh interpreter; its figures as the child reported them.
    ``code``: a tree whose ``shared`` package is measured instead of this one (a former
    version, for before/after figures from the same inputs in the same run)."""
    paths = [str(code)] if code else []
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, *inherited, str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "devstack.bench_media", "--child", str(path), purpose],
        # The working directory comes first on a child's path: it picks the measured shared/.
        capture_output=True, text=True, env=env, cwd=code or ROOT, check=False, timeout=300,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(case: Case, repeat: int, code: Path | None = None) -> dict[str, Any]:
    runs = [measure_once(input_path(case), case.purpose, code) for _ in range(repeat)]
    return {
        "case": case.name,
        "what": case.what,
        "bytes": runs[0]["bytes"],
        # Medians for time (the machine is shared), the worst for memory (it is a limit).
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "peak_increase_mb": max(r["peak_increase_mb"] for r in runs),
        "rss_before_mb": statistics.median(r["rss_before_mb"] for r in runs),
        "outcome": runs[0]["outcome"],
    }


def _table(rows: list[dict[str, Any]]) -> str:
    base = next((r for r in rows if r["case"] == "decode_1mp"), None)
    lines = [
        "| case | upload | wall s | CPU s | peak RSS +MB | CPU vs 1 MP decode "
        "| RSS vs 1 MP decode | outcome |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        cpu_x = mem_x = "-"
        if base is not None:
            cpu_x = f"{r['cpu_s'] / max(base['cpu_s'], 1e-6):.1f}"
            mem_x = f"{r['peak_increase_mb'] / max(base['peak_increase_mb'], 0.1):.1f}"
        lines.append(
            f"| {r['case']} | {r['bytes'] / 1024:,.0f} KB | {r['wall_s']:.3f} | {r['cpu_s']:.3f} "
            f"| {r['peak_increase_mb']:.1f} | {cpu_x} | {mem_x} | {r['outcome']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--code", type=Path, help="measure the shared/ package of this tree (e.g. a git archive)"
    )
    parser.add_argument("--child", nargs=2, metavar=("PATH", "PURPOSE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    names = [n for n in args.only.split(",") if n] or [c.name for c in CASES]
    if "decode_1mp" not in names:
        names.insert(0, "decode_1mp")
    rows = []
    for name in names:
        row = measure(BY_NAME[name], args.repeat, args.code)
        rows.append(row)
        print(
            f"{name:22} {row['cpu_s']:7.3f} s CPU {row['peak_increase_mb']:7.1f} MB  "
            f"{row['outcome']}",
            file=sys.stderr,
            flush=True,
        )
    print(f"media processing, {args.repeat} fresh processes per case, Pillow {PIL.__version__}")
    print(_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
