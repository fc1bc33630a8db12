"""Turning untrusted upload bytes into safe, sized WebP variants (Pillow). Pure: bytes in, out.

Order matters for safety: the type comes from the magic bytes (never the name or the declared
type) and only that format's decoder is allowed to open it; the pixel count and the frame count
come from the header and are checked before any pixel is decoded, so a decompression bomb is
refused having cost a few hundred bytes of parsing. The variants are new images built from the
pixels alone: no EXIF (GPS, camera, orientation), ICC, XMP or comments survive.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from shared.domain import media as domain

# Pillow's own guard (it raises above twice this); our explicit check below is the real limit.
Image.MAX_IMAGE_PIXELS = domain.MAX_PIXELS

_PIL_FORMAT = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
WEBP_QUALITY = 82
# Animations are most of the processor's CPU (every frame is encoded): effort 2 instead of 4
# costs ~15% in size and halves the time; no keyframes after the first (kmin=kmax=0) spares the
# encoder a second candidate per frame and makes delta frames 4x smaller. Keyframes only help
# seeking, which a looping animation in a browser never does.
ANIMATION_METHOD = 2
_ORIENTATION = 0x0112
_QUARTER_TURNS = {5, 6, 7, 8}  # EXIF orientations that swap width and height
# What each EXIF orientation asks of the pixels to display upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Box-reduce until the picture is still this many times the largest variant, then Lanczos:
# Image.thumbnail's default trade of speed against quality.
REDUCING_GAP = 2.0
# Pixels converted at a time when reducing: 4 MB of RGBA per strip.
_STRIP_PIXELS = 1_000_000
# A variant may be at most this many times taller than wide: a 400x40000 strip is not a photo.
MAX_ASPECT = 3


class ImageRejected(Exception):
    """The bytes are not an image we accept; ``reason`` is a stable code for the media doc."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class EncodedVariant:
    label: str
    width: int
    height: int
    data: bytes
    animated: bool


@dataclass(frozen=True)
class ProcessedImage:
    source_type: str
    width: int
    height: int
    frames: int
    variants: tuple[EncodedVariant, ...]


def sniff(data: bytes) -> str | None:
    """The image type from the magic bytes, or None when it is none of the accepted ones."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def process(data: bytes, purpose: domain.Purpose) -> ProcessedImage:
    if len(data) > domain.MAX_BYTES:
        raise ImageRejected("too_large", f"{len(data)} bytes is over {domain.MAX_BYTES}")
    source_type = sniff(data)
    if source_type is None:
        raise ImageRejected("not_an_image", "the bytes are not a JPEG, PNG, WebP or GIF image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[source_type]])
            return _process_open(im, source_type, purpose)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("too_many_pixels", str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Truncated or corrupt data, or a header Pillow cannot parse.
        raise ImageRejected("undecodable", f"the image cannot be decoded: {exc}") from exc


def _process_open(im: Image.Image, source_type: str, purpose: domain.Purpose) -> ProcessedImage:
    width, height = im.size
    if width < 1 or height < 1:
        raise ImageRejected("undecodable", "the image has no pixels")
    if width * height > domain.MAX_PIXELS:
        raise ImageRejected(
            "too_many_pixels", f"{width}x{height} is over {domain.MAX_PIXELS} pixels"
        )
    if source_type == "image/webp" and width * height > domain.MAX_WEBP_PIXELS:
        raise ImageRejected(
            "too_many_pixels", f"a {width}x{height} WebP is over {domain.MAX_WEBP_PIXELS} pixels"
        )
    frames = int(getattr(im, "n_frames", 1))  # from headers; GIF frames are skipped, not decoded
    if frames > domain.MAX_FRAMES:
        raise ImageRejected("too_many_frames", f"{frames} frames; the limit is {domain.MAX_FRAMES}")
    if frames > 1 and frames * width * height > domain.MAX_ANIMATION_PIXELS:
        raise ImageRejected(
            "too_many_pixels",
            f"{frames} frames of {width}x{height} is over {domain.MAX_ANIMATION_PIXELS} pixels",
        )
    animated = frames > 1 and purpose == "post"
    orientation = 1 if animated else im.getexif().get(_ORIENTATION, 1)
    turned = orientation in _QUARTER_TURNS
    shown = (height, width) if turned else (width, height)  # the original's size as displayed
    sizes = _variant_sizes(shown, purpose)
    if animated:
        variants = _animated_variants(im, sizes)
    else:
        variants = _still_variants(im, source_type, orientation, sizes, purpose)
    return ProcessedImage(source_type, shown[0], shown[1], frames, tuple(variants))


def _variant_sizes(shown: tuple[int, int], purpose: domain.Purpose) -> list[tuple[str, int, int]]:
    """(label, width, height) of each variant, as displayed; a post's small original gets one."""
    if purpose == "avatar":
        return [(str(side), side, side) for side in domain.AVATAR_SIZES]
    sizes: list[tuple[str, int, int]] = []
    for target in domain.POST_WIDTHS:
        w, h = _bounded(*shown, target)
        if all((w, h) != (sw, sh) for _, sw, sh in sizes):
            sizes.append((str(target), w, h))
    return sizes


def _needed(
    shown: tuple[int, int], size: tuple[int, int], purpose: domain.Purpose
) -> tuple[int, int]:
    """How much of the original, scaled down, still covers a variant of ``size``: a post
    variant is the whole picture; an avatar is the centre square, so the short side is what
    must cover it."""
    if purpose == "post":
        return size
    short = min(shown)
    return max(1, shown[0] * size[0] // short), max(1, shown[1] * size[1] // short)


def _still_variants(
    im: Image.Image, source_type: str, orientation: int,
    sizes: list[tuple[str, int, int]], purpose: domain.Purpose,
) -> list[EncodedVariant]:  # fmt: skip
    shown = (im.height, im.width) if orientation in _QUARTER_TURNS else im.size
    need = _needed(shown, (sizes[-1][1], sizes[-1][2]), purpose)
    if orientation in _QUARTER_TURNS:  # the decoder works in stored orientation
        need = (need[1], need[0])
    im.seek(0)
    if source_type == "image/jpeg":
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale when that still covers the largest variant:
        # a 12 MP photo decodes in a fraction of the time and memory.
        im.draft(None, need)
    im.load()
    picture = _reduced_copy(im, need)
    # The full-size decode is the largest buffer of all: free it before resizing and encoding.
    im.close()
    if orientation in _TRANSPOSE:  # applied to the pixels, since the EXIF tag itself is dropped
        picture = picture.transpose(_TRANSPOSE[orientation])
    variants = []
    for label, w, h in sizes:
        if purpose == "avatar":
            out = ImageOps.fit(picture, (w, h), Image.Resampling.LANCZOS)
        else:
            out = picture.resize(_within((w, h), picture.size), Image.Resampling.LANCZOS)
        variants.append(_encode(label, [out], []))
    return variants


def _animated_variants(im: Image.Image, sizes: list[tuple[str, int, int]]) -> list[EncodedVariant]:
    """Each variant is encoded from frames made one at a time as the encoder asks for them
    (decoded, reduced, resized, then dropped), so memory holds a frame or two, never the
    animation. Each variant decodes the source again: decoding is cheap next to encoding, and
    holding one variant's frames while encoding the other would cost what this saves."""
    durations: list[int] = []

    def frame_at(index: int, size: tuple[int, int]) -> Image.Image:
        im.seek(index)
        im.load()
        if index == len(durations):  # the first pass fills it; the encoder reads it after
            durations.append(int(im.info.get("duration", 100) or 100))
        picture = _reduced_copy(im, size)
        return picture.resize(_within(size, picture.size), Image.Resampling.LANCZOS)

    count = int(getattr(im, "n_frames", 1))
    variants = []
    for label, w, h in sizes:
        first = frame_at(0, (w, h))
        rest = _Frames(count - 1, functools.partial(_after_first, frame_at, (w, h)))
        variants.append(_encode(label, [first, rest], durations))
    return variants


def _after_first(
    frame_at: Callable[[int, tuple[int, int]], Image.Image], size: tuple[int, int], index: int
) -> Image.Image:
    return frame_at(index + 1, size)


class _Frames(Image.Image):
    """A multi-frame image whose frame ``i`` is made by ``make(i)`` only when seeked to.

    Pillow's animated WebP encoder seeks through every frame of each appended image in order,
    so handing it this instead of a list keeps one frame alive at a time. Frames are adopted the
    way Pillow's own format plugins set theirs (``im``, ``_mode``, ``_size``)."""

    def __init__(self, count: int, make: Callable[[int], Image.Image]) -> None:
        super().__init__()
        self.n_frames = count
        self._make = make
        self._index = -1
        self.seek(0)

    def seek(self, frame: int) -> None:
        if frame == self._index:
            return
        if not 0 <= frame < self.n_frames:
            raise EOFError(f"no frame {frame}")
        picture = self._make(frame)
        self.im = picture.im
        self._mode = picture.mode
        self._size = picture.size
        self._index = frame

    def tell(self) -> int:
        return self._index


def _reduced_copy(im: Image.Image, need: tuple[int, int]) -> Image.Image:
    """The decoded pixels as a new RGB or RGBA image with an empty info dict, box-reduced by the
    largest integer factor that keeps at least ``REDUCING_GAP`` times ``need`` (so the final
    Lanczos resize keeps its quality, as ``Image.thumbnail`` does).

    Converted and reduced a strip at a time: converting a 25 MP frame whole would allocate a
    second full-size buffer (100 MB) next to the decoded one."""
    has_alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    mode = "RGBA" if has_alpha else "RGB"
    w, h = im.size
    factor = max(1, int(min(w / need[0], h / need[1]) / REDUCING_GAP))
    out = Image.new(mode, (-(-w // factor), -(-h // factor)))
    # A whole number of factor-row blocks per strip, so the strips reduce exactly as the
    # whole would.
    rows = max(1, _STRIP_PIXELS // (w * factor)) * factor
    for top in range(0, h, rows):
        strip = im.crop((0, top, w, min(h, top + rows))).convert(mode)
        out.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return out


def _within(size: tuple[int, int], decoded: tuple[int, int]) -> tuple[int, int]:
    """Never upscale past what was decoded."""
    return min(size[0], decoded[0]), min(size[1], decoded[1])


def _bounded(width: int, height: int, target: int) -> tuple[int, int]:
    """Fit the original into target wide and MAX_ASPECT*target tall, never upscaling."""
    scale = min(1.0, target / width, (MAX_ASPECT * target) / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _encode(label: str, frames: list[Image.Image], durations: list[int]) -> EncodedVariant:
    """``frames`` are the first frame, then images whose frames follow (multi-frame ones too)."""
    buf = io.BytesIO()
    first = frames[0]
    animated = sum(getattr(f, "n_frames", 1) for f in frames) > 1
    if animated:
        first.save(
            buf, "WEBP", save_all=True, append_images=frames[1:], duration=durations,
            loop=0, quality=WEBP_QUALITY, method=ANIMATION_METHOD, kmin=0, kmax=0,
        )  # fmt: skip
    else:
        first.save(buf, "WEBP", quality=WEBP_QUALITY, method=4)
    return EncodedVariant(label, first.width, first.height, buf.getvalue(), animated)
