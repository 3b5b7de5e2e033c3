"""Fashion-MNIST from its four IDX ``.gz`` files: validated loading and splits.

Where the files come from, in order: a directory the user names; Keras's
dataset cache (``$KERAS_HOME`` or ``~/.keras``, then ``datasets/fashion-mnist``);
Keras's own download into that cache when online. Every file is checked
(gzip integrity, IDX magic number, dimensions, counts, label range) and any
problem raises :class:`DataError` naming the file and what is wrong.

The search only ever sees the training files, split into train and validation;
the test files are kept for the final evaluation.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import pathlib
import zlib

import numpy as np
import numpy.typing as npt

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
# A real sample shipped inside the package (3,443 train / 1,000 test images of
# the official test split; MIT licence and provenance in its README), so
# `search --quick` runs on a fresh clone, offline.
SAMPLE_DIR = pathlib.Path(__file__).with_name("sample_data")
_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)
# IDX magic numbers: two zero bytes, type 0x08 (unsigned byte), rank.
_MAGIC_IMAGES = 0x00000803
_MAGIC_LABELS = 0x00000801

HOW_TO_PROVIDE = (
    "Provide the four Fashion-MNIST files ("
    + ", ".join(FILES)
    + ") with --data-dir DIR, or put them in {cache}, or run once with internet access "
    "so Keras downloads them there. Offline, --quick searches the sample shipped "
    f"with the package ({SAMPLE_DIR}); so does --data-dir {SAMPLE_DIR}."
)


class DataError(ValueError):
    """The dataset is missing, unreadable or not what it claims to be."""


@dataclasses.dataclass(frozen=True)
class Split:
    """Images (n, 28, 28) uint8 and labels (n,) uint8 of one part of the data."""

    images: npt.NDArray[np.uint8]
    labels: npt.NDArray[np.uint8]

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclasses.dataclass(frozen=True)
class Dataset:
    """The three parts a search uses; ``test`` is for the final evaluation only."""

    train: Split
    validation: Split
    test: Split
    source: str


def fingerprint(directory: str | os.PathLike[str]) -> str:
    """SHA-256 over the four files' names and bytes: the data's identity, not its path.

    A run directory records it, so ``DIR``, ``DIR/``, ``./DIR`` or an absolute path
    (or a copy elsewhere) resume the same run, while different files do not.
    """
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode())
        digest.update((pathlib.Path(directory) / name).read_bytes())
    return digest.hexdigest()


def keras_cache_dir() -> pathlib.Path:
    """Where ``keras.datasets.fashion_mnist`` keeps the files."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(home) / "datasets" / "fashion-mnist"


def _read_gzip(path: pathlib.Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected a .gz file") from None
    except EOFError:
        raise DataError(f"{path}: truncated gzip file (download it again)") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise DataError(f"{path}: not a valid gzip file ({error})") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None


def _header(path: pathlib.Path, raw: bytes, magic: int, rank: int) -> tuple[int, ...]:
    size = 4 * (1 + rank)
    if len(raw) < size:
        raise DataError(f"{path}: {len(raw)} bytes, too short for an IDX header")
    words = np.frombuffer(raw[:size], dtype=">u4")
    if int(words[0]) != magic:
        raise DataError(
            f"{path}: IDX magic number {int(words[0]):#010x}, expected {magic:#010x} "
            f"({'images' if magic == _MAGIC_IMAGES else 'labels'} file)"
        )
    return tuple(int(w) for w in words[1:])


def read_images(path: str | os.PathLike[str]) -> npt.NDArray[np.uint8]:
    """Reads an IDX3 images file, shape (n, 28, 28) uint8.

    Raises:
        DataError: Missing, corrupt, truncated, or not 28x28 unsigned bytes.
    """
    path = pathlib.Path(path)
    raw = _read_gzip(path)
    count, rows, cols = _header(path, raw, _MAGIC_IMAGES, 3)
    if (rows, cols) != IMAGE_SHAPE:
        raise DataError(f"{path}: images are {rows}x{cols}, Fashion-MNIST images are 28x28")
    body = len(raw) - 16
    if body != count * rows * cols:
        raise DataError(
            f"{path}: header announces {count} images ({count * rows * cols} bytes) "
            f"but the file holds {body} bytes of pixels"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def read_labels(path: str | os.PathLike[str]) -> npt.NDArray[np.uint8]:
    """Reads an IDX1 labels file, shape (n,) uint8 with values 0..9.

    Raises:
        DataError: Missing, corrupt, truncated, or a label outside 0..9.
    """
    path = pathlib.Path(path)
    raw = _read_gzip(path)
    (count,) = _header(path, raw, _MAGIC_LABELS, 1)
    if len(raw) - 8 != count:
        raise DataError(
            f"{path}: header announces {count} labels but the file holds {len(raw) - 8}"
        )
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8)
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise DataError(f"{path}: label {int(labels.max())} outside 0..{NUM_CLASSES - 1}")
    return labels


def _read_pair(directory: pathlib.Path, images: str, labels: str) -> Split:
    x, y = read_images(directory / images), read_labels(directory / labels)
    if len(x) != len(y):
        raise DataError(
            f"{directory}: {images} holds {len(x)} images but {labels} holds {len(y)} labels"
        )
    if len(x) == 0:
        raise DataError(f"{directory / images}: holds no images")
    return Split(images=x, labels=y)


def _download(cache: pathlib.Path) -> pathlib.Path:
    """Keras's own download into its cache; any failure becomes a DataError."""
    import keras  # Lazy: only needed when the files are not on disk.

    try:
        for name in FILES:
            keras.utils.get_file(
                name, origin=_ORIGIN + name, cache_subdir=os.path.join("datasets", "fashion-mnist")
            )
    except Exception as error:  # any network or disk failure means "no data"
        message = HOW_TO_PROVIDE.format(cache=cache)
        raise DataError(
            f"Fashion-MNIST is not on disk and the download failed ({error}). {message}"
        ) from None
    return cache


def locate(data_dir: str | os.PathLike[str] | None) -> pathlib.Path:
    """The directory holding the four files: ``data_dir``, Keras's cache, or a download.

    Raises:
        DataError: ``data_dir`` lacks a file, or nothing is on disk and the
            download fails; the message says how to provide the data.
    """
    cache = keras_cache_dir()
    if data_dir is not None:
        directory = pathlib.Path(data_dir)
        if not directory.is_dir():
            raise DataError(
                f"--data-dir {directory}: no such directory. " + HOW_TO_PROVIDE.format(cache=cache)
            )
        missing = [name for name in FILES if not (directory / name).exists()]
        if missing:
            raise DataError(
                f"--data-dir {directory}: missing {', '.join(missing)}. "
                + HOW_TO_PROVIDE.format(cache=cache)
            )
        return directory
    if all((cache / name).exists() for name in FILES):
        return cache
    return _download(cache)


def stratified_split(
    labels: npt.NDArray[np.integer], fraction: float, *, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indices (keep, held_out) with ``fraction`` of every class held out.

    Each class contributes round(fraction * its count) items, so class
    proportions match in both parts; both index arrays come out sorted.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        take = round(fraction * members.size)
        held.append(rng.permutation(members)[:take])
    held_out = np.sort(np.concatenate(held))
    keep = np.setdiff1d(np.arange(labels.shape[0]), held_out)
    return keep, held_out


def _take(split: Split, index: npt.NDArray[np.int64]) -> Split:
    return Split(images=split.images[index], labels=split.labels[index])


def load(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    validation_fraction: float = 0.2,
    seed: int = 0,
    train_limit: int | None = None,
) -> Dataset:
    """Loads, validates and splits Fashion-MNIST.

    Args:
        data_dir: Directory with the four IDX ``.gz`` files; None looks in
            Keras's cache, then downloads.
        validation_fraction: Share of the training files held out (stratified)
            for the search's objective.
        seed: Seed of the split and of the subsetting.
        train_limit: Keep at most this many training images (stratified), for
            quick runs; validation and test are never cut.

    Returns:
        The train / validation / test parts and the directory they came from.

    Raises:
        DataError: On missing or invalid files (the message names the file).
    """
    directory = locate(data_dir)
    full_train = _read_pair(directory, TRAIN_IMAGES, TRAIN_LABELS)
    test = _read_pair(directory, TEST_IMAGES, TEST_LABELS)
    keep, held_out = stratified_split(full_train.labels, validation_fraction, seed=seed)
    train = _take(full_train, keep)
    if train_limit is not None and train_limit < len(train):
        if train_limit < NUM_CLASSES:
            raise ValueError(f"train_limit must be at least {NUM_CLASSES}, got {train_limit}")
        fraction = train_limit / len(train)
        _, chosen = stratified_split(train.labels, fraction, seed=seed + 1)
        train = _take(train, chosen)
    return Dataset(
        train=train, validation=_take(full_train, held_out), test=test, source=str(directory)
    )


def to_model_input(images: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """uint8 (n, 28, 28) -> float32 (n, 28, 28, 1) scaled to [0, 1]."""
    return (images.astype(np.float32) / 255.0)[..., None]
