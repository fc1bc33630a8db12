"""Turning untrusted upload bytes into safe, sized WebP variants (Pillow). Pure: bytes in, out.

Order matters for safety: the type comes from the magic bytes (never the name or the declared
type) and only that format's decoder is allowed to open it; the pixel count and the frame count
come from the header and are checked before any pixel is decoded, so a decompression bomb is
refused having cost a few hundred bytes of parsing. The variants are new images built from the
pixels alone: no EXIF (GPS, camera, orientation), ICC, XMP or comments survive.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

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
_ORIENTATION = 0x0112
_QUARTER_TURNS = {5, 6, 7, 8}  # EXIF orientations that swap width and height
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
    frames = int(getattr(im, "n_frames", 1))  # from headers; GIF frames are skipped, not decoded
    if frames > domain.MAX_FRAMES:
        raise ImageRejected("too_many_frames", f"{frames} frames; the limit is {domain.MAX_FRAMES}")
    if frames * width * height > domain.MAX_ANIMATION_PIXELS:
        raise ImageRejected(
            "too_many_pixels",
            f"{frames} frames of {width}x{height} is over {domain.MAX_ANIMATION_PIXELS} pixels",
        )
    animated = frames > 1 and purpose == "post"
    orientation = 1 if animated else im.getexif().get(_ORIENTATION, 1)
    pictures: list[Image.Image] = []
    durations: list[int] = []
    if animated:
        for frame in ImageSequence.Iterator(im):
            pictures.append(_clean(frame))
            durations.append(int(frame.info.get("duration", 100) or 100))
    else:
        im.seek(0)
        if source_type == "image/jpeg":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers the largest
            # variant: a 12 MP photo decodes in a fraction of the time and memory.
            side = max(domain.variant_sizes(purpose))
            im.draft(None, (side, side))
        im.load()
        # The EXIF orientation is applied to the pixels, since the tag itself is dropped.
        pictures.append(_clean(ImageOps.exif_transpose(im)))
    out_w, out_h = pictures[0].size
    if orientation in _QUARTER_TURNS:  # the original's size as displayed
        width, height = height, width
    variants = []
    if purpose == "post":
        seen: set[tuple[int, int]] = set()
        for target in domain.POST_WIDTHS:
            size = _bounded(width, height, target, (out_w, out_h))
            if size in seen:  # a small original: one variant at its own size is enough
                continue
            seen.add(size)
            resized = [p.resize(size, Image.Resampling.LANCZOS) for p in pictures]
            variants.append(_encode(str(target), resized, durations))
    else:
        for side in domain.AVATAR_SIZES:
            square = ImageOps.fit(pictures[0], (side, side), Image.Resampling.LANCZOS)
            variants.append(_encode(str(side), [square], []))
    return ProcessedImage(source_type, width, height, frames, tuple(variants))


def _clean(frame: Image.Image) -> Image.Image:
    """Pixels only: a new image in RGB or RGBA with an empty info dict."""
    has_alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
    pixels = frame.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    clean.info = {}
    return clean


def _bounded(width: int, height: int, target: int, decoded: tuple[int, int]) -> tuple[int, int]:
    """Fit the original into target wide and MAX_ASPECT*target tall, never upscaling past
    what was decoded."""
    scale = min(1.0, target / width, (MAX_ASPECT * target) / height)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    return min(w, decoded[0]), min(h, decoded[1])


def _encode(label: str, frames: list[Image.Image], durations: list[int]) -> EncodedVariant:
    buf = io.BytesIO()
    first = frames[0]
    if len(frames) > 1:
        first.save(
            buf, "WEBP", save_all=True, append_images=frames[1:], duration=durations,
            loop=0, quality=WEBP_QUALITY, method=4,
        )  # fmt: skip
    else:
        first.save(buf, "WEBP", quality=WEBP_QUALITY, method=4)
    return EncodedVariant(label, first.width, first.height, buf.getvalue(), len(frames) > 1)
