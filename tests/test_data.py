"""Fashion-MNIST loading: the real sample, every corrupt-input case, splits."""

from __future__ import annotations

import gzip
import pathlib
import shutil

import numpy as np
import pytest

from kt_lrsearch.app import data

# The real sample shipped in the package (a copy of ../shared/data/fashion-mnist-sample).
SAMPLE = data.SAMPLE_DIR


def write_idx(path: pathlib.Path, magic: int, dims: tuple[int, ...], payload: bytes) -> None:
    header = np.array([magic, *dims], dtype=">u4").tobytes()
    with gzip.open(path, "wb") as handle:
        handle.write(header + payload)


def make_dataset(directory: pathlib.Path, n_train: int = 40, n_test: int = 20) -> pathlib.Path:
    """A small valid dataset in the original format (random pixels, balanced labels)."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    for images, labels, n in (
        (data.TRAIN_IMAGES, data.TRAIN_LABELS, n_train),
        (data.TEST_IMAGES, data.TEST_LABELS, n_test),
    ):
        pixels = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        write_idx(directory / images, 0x803, (n, 28, 28), pixels.tobytes())
        write_idx(directory / labels, 0x801, (n,), (np.arange(n) % 10).astype(np.uint8).tobytes())
    return directory


def test_reads_the_real_sample() -> None:
    ds = data.load(SAMPLE, validation_fraction=0.2, seed=0)
    assert len(ds.train) + len(ds.validation) == 3443 and len(ds.test) == 1000
    assert ds.train.images.shape[1:] == (28, 28) and ds.train.images.dtype == np.uint8
    assert set(np.unique(ds.validation.labels)) == set(range(10))
    assert 0.19 < len(ds.validation) / 3443 < 0.21
    assert ds.train.images.max() > 200  # real pixels, not an empty array


def test_split_is_stratified_disjoint_and_seeded() -> None:
    labels = data.read_labels(SAMPLE / data.TRAIN_LABELS)
    keep, held = data.stratified_split(labels, 0.2, seed=1)
    assert np.intersect1d(keep, held).size == 0 and keep.size + held.size == labels.size
    share = np.bincount(labels[held], minlength=10) / np.bincount(labels, minlength=10)
    assert np.all(np.abs(share - 0.2) < 0.01)
    again, _ = data.stratified_split(labels, 0.2, seed=1)
    other, _ = data.stratified_split(labels, 0.2, seed=2)
    np.testing.assert_array_equal(keep, again)
    assert not np.array_equal(keep, other)


def test_train_limit_subsets_train_only(tmp_path) -> None:
    directory = make_dataset(tmp_path / "d", n_train=200)
    ds = data.load(directory, validation_fraction=0.25, train_limit=50)
    assert len(ds.train) == 50 and len(ds.validation) == 50 and len(ds.test) == 20
    assert np.all(np.bincount(ds.train.labels, minlength=10) == 5)


def test_model_input_is_scaled_with_a_channel() -> None:
    x = data.to_model_input(np.full((2, 28, 28), 255, dtype=np.uint8))
    assert x.shape == (2, 28, 28, 1) and x.dtype == np.float32 and x.max() == 1.0


def corrupt(directory: pathlib.Path, case: str) -> str:
    """Breaks one file of a valid dataset; returns the file's name."""
    images, labels = directory / data.TRAIN_IMAGES, directory / data.TRAIN_LABELS
    if case == "missing":
        labels.unlink()
        return labels.name
    if case == "truncated":
        raw = images.read_bytes()
        images.write_bytes(raw[: len(raw) // 2])
    elif case == "not gzip":
        images.write_bytes(b"this is not a gzip file at all")
    elif case == "empty":
        images.write_bytes(b"")
    elif case == "wrong magic":
        shutil.copy(labels, images)
    elif case == "wrong shape":
        write_idx(images, 0x803, (40, 32, 32), bytes(40 * 32 * 32))
    elif case == "short body":
        write_idx(images, 0x803, (40, 28, 28), bytes(39 * 28 * 28))
    elif case == "label range":
        write_idx(labels, 0x801, (40,), bytes([12] * 40))
        return labels.name
    elif case == "count mismatch":
        write_idx(labels, 0x801, (30,), bytes(30))
        return labels.name
    elif case == "directory":
        images.unlink()
        images.mkdir()
    return images.name


CASES = {
    "missing": "missing",
    "truncated": "truncated",
    "not gzip": "not a valid gzip",
    "empty": "too short",
    "wrong magic": "magic number",
    "wrong shape": "32x32",
    "short body": "announces 40 images",
    "label range": "label 12 outside",
    "count mismatch": "30 labels",
    "directory": "directory",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_corrupt_input_names_the_file_and_the_problem(tmp_path, case: str) -> None:
    directory = make_dataset(tmp_path / "d")
    name = corrupt(directory, case)
    with pytest.raises(data.DataError, match=CASES[case]) as info:
        data.load(directory)
    assert name in str(info.value)


def test_missing_directory_says_how_to_provide(tmp_path) -> None:
    with pytest.raises(data.DataError, match=r"no such directory.*--data-dir"):
        data.load(tmp_path / "nope")


def test_uses_the_keras_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    make_dataset(tmp_path / "datasets" / "fashion-mnist")
    assert data.load().source == str(tmp_path / "datasets" / "fashion-mnist")


def test_offline_without_data_explains_what_to_do(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    # Port 9 on loopback refuses connections: a real download that fails fast.
    monkeypatch.setattr(data, "_ORIGIN", "http://127.0.0.1:9/")
    with pytest.raises(data.DataError, match=r"download failed.*--data-dir") as info:
        data.load()
    assert str(tmp_path / "datasets" / "fashion-mnist") in str(info.value)
