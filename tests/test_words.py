"""Words about a person's data read as English: a folder named "signs" has "signs'" images, not "signs's"."""

from types import SimpleNamespace

import pytest

from aegui.core.data.datasets import DataError
from aegui.core.data.shapes import check_fits
from aegui.core.words import possessive


def test_names_ending_in_s_take_the_apostrophe_alone():
    assert [possessive(name) for name in ("signs", "MNIST", "Fashion-MNIST", "photos", "cats and dogs")] == [
        "signs'", "MNIST's", "Fashion-MNIST's", "photos'", "cats and dogs'"]  # fmt: skip


def test_a_model_that_does_not_take_a_folder_says_so_in_english():
    signs = SimpleNamespace(title="signs", image_shape=(3, 32, 32))
    with pytest.raises(DataError) as refused:
        check_fits((1, 28, 28), signs)
    assert "signs' are 32×32 colour" in str(refused.value) and "signs's" not in str(refused.value)


def test_generate_s_seed_says_what_it_does_for_generate(capsys):
    from aegui.cli import main

    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    seed = " ".join(capsys.readouterr().out.rsplit("--seed SEED", 1)[1].split("--temperature", 1)[0].split())
    assert "the codes drawn" in seed and "the same seed draws the same images" in seed
    assert "weights" not in seed and "batches" not in seed
