"""The lesson's figure made live: the autoencoder's map beside PCA of the pixels, with scores; for a
2-value code, the manifold of digits decoded over the code plane beside them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aegui.core.analysis.projections import METHODS, unavailable
from aegui.core.words import with_article
from aegui.gui.code_space.digit_legend import DigitLegend
from aegui.gui.code_space.latent_map import LatentMapView
from aegui.gui.widgets.digit_view import DigitView
from aegui.gui.widgets.manifold import ManifoldView

PROJECTION_HELP = {
    "pca": "PCA: the plane of the codes' largest variance. Instant, linear, follows training live.",
    "tsne": "t-SNE (openTSNE): keeps each digit's nearest neighbours together; separates classes far better. "
            "Seconds to compute.",
    "umap": "UMAP (umap-learn): like t-SNE, keeps more of the global layout. Its first map in a session "
            "compiles code first.",
}  # fmt: skip

DEFAULT_COUNT = 2000
MAX_COUNT = 10_000


class CodeSpacePanel(QWidget):
    countChanged = Signal(int)
    exportRequested = Signal(str)  # "codes" (every image's, as CSV, .npy or Parquet) or "png" (the map)
    projectionChosen = Signal(str)  # a key of projections.METHODS
    followToggled = Signal(bool)  # lay the map out again at every epoch while training

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.code_map = LatentMapView("codes", "latentMap")
        self.pixel_map = LatentMapView("PCA of pixels", "pixelPcaMap")
        self.legend = DigitLegend()
        self.hovered_view = DigitView("Hovered digit", "hoveredDigitView", hint="Point at a digit in the map.",
                                      min_side=90)  # fmt: skip
        self.decoded_view = DigitView("Decoded at the click", "mapDecodedView", hint="Click empty space to decode it.",
                                      min_side=90)  # fmt: skip
        self.count_spin = QSpinBox(objectName="mapCountSpin", minimum=200, maximum=MAX_COUNT, singleStep=1000)
        self.count_spin.setValue(DEFAULT_COUNT)
        self.count_spin.setSuffix(" test digits")
        self.count_spin.setToolTip("How many test digits the maps show (200 to 10,000).")
        self._noun = "digit"
        self._wanted_count = DEFAULT_COUNT  # what a person asked for; the field shows no more than there are
        self.projection_combo = QComboBox(objectName="projectionCombo")
        for method, name in METHODS.items():
            reason = unavailable(method)
            self.projection_combo.addItem(name, method)
            index = self.projection_combo.count() - 1
            self.projection_combo.setItemData(index, reason or PROJECTION_HELP[method], Qt.ItemDataRole.ToolTipRole)
            if reason is not None:  # (an optional package not installed: the entry says how to get it)
                self.projection_combo.model().item(index).setEnabled(False)
        self.projection_combo.setToolTip("How codes with more than two values are laid out on the map.")
        self.follow_check = QCheckBox("follow training", objectName="followTrainingCheck")
        self.follow_check.setToolTip("Lay the map out again at every epoch while training (t-SNE and UMAP take "
                                     "seconds; otherwise they are computed when training ends).")  # fmt: skip
        self.status = QLabel(
            "The map appears once the data is loaded.",
            objectName="mapStatus",
            wordWrap=True,
            textFormat=Qt.TextFormat.PlainText,
        )
        self.worth_label = QLabel("", objectName="codeWorthLabel", wordWrap=True, visible=False,
                                  textFormat=Qt.TextFormat.PlainText)  # fmt: skip
        self.worth_label.setToolTip("How often an image's 5 nearest training images name its class, on the codes, "
                                    "on PCA with as many components, and on the raw pixels (as `aegui encode` "
                                    "and `aegui train` say).")  # fmt: skip
        self.manifold_box = ManifoldView()  # (filled by the Generate feature)
        self.manifold, self.manifold_caption = self.manifold_box.mosaic, self.manifold_box.caption
        controls = QHBoxLayout()  # one row above the maps: the maps keep the height a short screen has
        controls.addWidget(self.projection_combo)
        controls.addWidget(self.follow_check)
        controls.addWidget(self.count_spin)
        controls.addStretch(1)
        self.export_buttons: list[QPushButton] = []
        for kind, text, tip in (("codes", "Export codes…", "Every image's code (training and test), one row each: "
                                 "its file or its split and index, its label, its code values; as CSV, .npy or "
                                 "Parquet"),
                                ("png", "Map PNG…", "Export the code map as a PNG picture")):  # fmt: skip
            button = QPushButton(text, objectName=f"export{kind.capitalize()}Button", toolTip=tip)
            button.clicked.connect(lambda _checked=False, k=kind: self.exportRequested.emit(k))
            controls.addWidget(button)
            self.export_buttons.append(button)
        self._unfit = ""
        side = QVBoxLayout()
        side.addWidget(self.hovered_view, 1)
        side.addWidget(self.decoded_view, 1)
        maps = QHBoxLayout()
        maps.addWidget(self.code_map, 1)
        maps.addWidget(self.pixel_map, 1)
        maps.addWidget(self.manifold_box, 1)
        left = QVBoxLayout()
        left.addLayout(controls)
        left.addLayout(maps, 1)
        left.addWidget(self.legend)
        left.addWidget(self.status)
        left.addWidget(self.worth_label)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 4)
        layout.addLayout(side, 1)
        self.count_spin.valueChanged.connect(self._on_count_changed)
        self.count_spin.editingFinished.connect(lambda: self.countChanged.emit(self.count_spin.value()))
        self.projection_combo.currentIndexChanged.connect(
            lambda _index: self.projectionChosen.emit(self.projection_combo.currentData())
        )
        self.follow_check.toggled.connect(self.followToggled)

    def set_test_count(self, available: int) -> None:
        """The data has `available` test images: the field offers no more (and shows that many when fewer than
        asked for), and goes back up to the number asked for on larger data."""
        self.count_spin.blockSignals(True)
        self.count_spin.setMaximum(max(self.count_spin.minimum(), min(available, MAX_COUNT)))
        self.count_spin.setValue(min(self._wanted_count, available))
        self.count_spin.setToolTip(f"How many test {self._noun}s the maps show (200 to {self.count_spin.maximum():,}).")
        self.count_spin.blockSignals(False)

    def set_noun(self, noun: str) -> None:
        """What the data's items are called ("digit", "image"): words follow the data."""
        self._noun = noun
        self.count_spin.setSuffix(f" test {noun}s")
        self.count_spin.setToolTip(f"How many test {noun}s the maps show (200 to {self.count_spin.maximum():,}).")
        self.hovered_view.set_title(f"Hovered {noun}")
        self.hovered_view.set_hint(f"Point at {with_article(noun)} in the map.")
        self.manifold_box.set_noun(noun)

    def show_unfit(self, note: str) -> None:
        """The model does not take the data (`note`: so, and what to do) or, with "", it does again: the maps, the
        images under them and their exports need the model to run on the data."""
        if note == self._unfit:
            return
        self._unfit = note
        for widget in (*self.export_buttons, self.count_spin, self.projection_combo, self.follow_check):
            widget.setEnabled(not note)
        if note:
            for plot in (self.code_map, self.pixel_map):
                plot.set_points(np.zeros((0, 2), np.float32), np.zeros(0, np.int64))
                plot.set_thumbnails(None)
            self.hovered_view.set_image(None)
            self.decoded_view.set_image(None)
            self.status.setText(note)

    def show_worth(self, text: str) -> None:
        """What the codes are worth, in a line ("": hidden, as for data without labels)."""
        self.worth_label.setText(text)
        self.worth_label.setVisible(bool(text))

    def worth(self) -> str:
        return self.worth_label.text() if self.worth_label.isVisibleTo(self) else ""

    def unfit_note(self) -> str:
        return self._unfit

    def _on_count_changed(self, value: int) -> None:
        self._wanted_count = value  # (set_test_count changes the value with signals blocked)
