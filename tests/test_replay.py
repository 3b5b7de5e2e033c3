"""Figure replay (kt_lrsearch.app.replay): the same figures whether a pool draws them or not."""

from __future__ import annotations

from oracle_helpers import make_oracle, peaked, run_loop

from kt_lrsearch.app.replay import drawing_pool, replay_figures


def test_a_drawing_pool_writes_the_same_figures_as_one_process(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path / "o"), max_trials=4, num_initial_points=1)
    trials = run_loop(oracle, peaked, 4)

    def factory():
        return make_oracle(str(tmp_path / "fresh"), max_trials=4, num_initial_points=1)

    lines: list[str] = []
    serial = replay_figures(factory, trials, tmp_path / "serial", progress=lines.append)
    with drawing_pool(2) as pool:
        pooled = replay_figures(factory, trials, tmp_path / "pooled", pool=pool)
    assert (
        [p.name for p in serial]
        == [p.name for p in pooled]
        == ["iteration_02.png", "iteration_03.png", "iteration_04.png"]
    )
    for a, b in zip(serial, pooled, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert lines == [f"figure {k}/4: after {k} evaluations" for k in (2, 3, 4)]
    # Only what a kill left undrawn is drawn again.
    serial[1].unlink()
    again = replay_figures(factory, trials, tmp_path / "serial", only_missing=True)
    assert again == [serial[1]] and serial[1].read_bytes() == pooled[1].read_bytes()
