"""Words for numbers, as people write them: "1 epoch", "2 epochs", "1,000 images"."""

from __future__ import annotations


def count(number: int, noun: str, plural: str = "") -> str:
    """`number` with `noun`, plural unless it is one (thousands separated)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


DIGIT_SETS = ("mnist", "qmnist", "emnist-digits", "sample")


def item_noun(dataset_name: str, classes: tuple[str, ...] = (), shape: tuple[int, int, int] = (1, 28, 28)) -> str:
    """What one item of a dataset is called: "digit" for digit sets (and a folder of grey 28x28 images in
    classes 0 to 9), else "image". Words follow the data."""
    name = dataset_name.split(":", 1)[0]
    if name in DIGIT_SETS:
        return "digit"
    numbered = bool(classes) and set(classes) <= {str(digit) for digit in range(10)}
    return "digit" if name == "images" and numbered and tuple(shape) == (1, 28, 28) else "image"


def possessive(name: str) -> str:
    """The name's possessive: "MNIST's"; "signs'" (a plural ending in s takes the apostrophe alone)."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def with_article(name: str) -> str:
    """'a 7', 'an 8', 'an Ankle boot', 'a T-shirt/top', 'an image'."""
    return f"{'an' if name[:1].lower() in 'aeio8' else 'a'} {name}"


def noun_of(dataset) -> str:
    """What one item of a Dataset is called ("digit" or "image")."""
    return item_noun(dataset.key, dataset.classes, dataset.image_shape)
