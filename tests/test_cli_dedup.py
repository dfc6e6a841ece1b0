"""`screener dedup review --plain`: most likely pairs first, a block accepted at once."""

from __future__ import annotations

from screener.cli import main
from screener.store import Store
from tests.test_tui_dedup import build_block


def test_plain_review_orders_pairs_and_accepts_a_block(tmp_path, runner):
    path = build_block(tmp_path / "r.sqlite")
    args = ["dedup", "review", "--plain", "--as", "ann", "--db", str(path)]
    result = runner.invoke(main, args, input="a\ny\nn\n")
    assert result.exit_code == 0, result.output
    # near-identical 3-4 first (1-2 is linked with it in the block, so never asked)
    assert result.output.index("records 3 and 4") < result.output.index("records 5 and 6")
    assert "records 1 and 2" not in result.output
    assert "near-identical" in result.output and "Linked 2 pairs." in result.output
    with Store(path) as store:
        assert store.pair_decisions() == {(1, 2): True, (3, 4): True, (5, 6): False}


def test_plain_review_block_needs_a_yes(tmp_path, runner):
    path = build_block(tmp_path / "r.sqlite")
    args = ["dedup", "review", "--plain", "--as", "ann", "--db", str(path)]
    result = runner.invoke(main, args, input="a\nn\nq\n")
    assert result.exit_code == 0, result.output
    with Store(path) as store:
        assert store.pair_decisions() == {}
