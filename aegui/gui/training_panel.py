"""Training controls: preset, hyperparameters, dataset, and Train / Pause / Stop / Reset."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aegui.core.model import ACTIVATIONS, ModelConfig
from aegui.core.presets import PRESET_NAMES, PRESETS, REFERENCE_TRAIN_SIZE, customise, epochs_for, get_preset
from aegui.core.training import LOSSES, MAX_LEARNING_RATE, OPTIMIZERS, TrainConfig
from aegui.gui.settings import read

DATASETS = {"auto": "Auto (MNIST if present)", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
            "sample": "Embedded sample"}  # fmt: skip
ERROR_STYLE = "color: #c0392b;"
INFO_STYLE = "color: palette(text);"


class TrainingPanel(QWidget):
    trainRequested = Signal()
    pauseToggled = Signal(bool)
    stopRequested = Signal()
    resetRequested = Signal()
    learningRateChanged = Signal(float)
    datasetChosen = Signal(str)
    downloadRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.preset_combo = QComboBox(objectName="presetCombo")
        for name in PRESET_NAMES:
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, PRESETS[name].summary, 3)  # tooltip role
        self.epochs_spin = QSpinBox(objectName="epochsSpin", minimum=1, maximum=10_000)
        self.batch_spin = QSpinBox(objectName="batchSizeSpin", minimum=1, maximum=65_536)
        self.lr_spin = QDoubleSpinBox(objectName="learningRateSpin", decimals=6, minimum=1e-6,
                                      maximum=MAX_LEARNING_RATE)  # fmt: skip
        self.lr_spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr_spin.setToolTip("Can be changed while training")
        self.loss_combo = QComboBox(objectName="lossCombo")
        for loss, label in zip(LOSSES, ("squared error", "cross-entropy"), strict=True):
            self.loss_combo.addItem(label, loss)
        self.optimizer_combo = QComboBox(objectName="optimizerCombo")
        for name, label in zip(OPTIMIZERS, ("RMSProp", "Adam", "SGD + momentum"), strict=True):
            self.optimizer_combo.addItem(label, name)
        self.code_spin = QSpinBox(objectName="codeSizeSpin", minimum=1, maximum=784)
        self.activation_combo = QComboBox(objectName="activationCombo")
        for name in ACTIVATIONS:
            if name != "linear":
                self.activation_combo.addItem(name, name)
        self.kind_combo = QComboBox(objectName="modelKindCombo")
        self.kind_combo.addItem("Fully connected", "mlp")
        self.kind_combo.addItem("Convolutional", "conv")
        self.augment_spin = QDoubleSpinBox(objectName="augmentSpin", decimals=2, minimum=0.0, maximum=1.0,
                                           singleStep=0.1)  # fmt: skip
        self.augment_spin.setToolTip("Random shifts, rotations, scaling and stroke-thickness changes while training "
                                     "(0: none, 1: the most)")  # fmt: skip
        self.noise_combo = QComboBox(objectName="noiseCombo")
        for noise, label in (("none", "none"), ("gaussian", "Gaussian"), ("masking", "masking")):
            self.noise_combo.addItem(label, noise)
        self.noise_combo.setToolTip("Denoising: train on noisy inputs with clean targets")
        self.noise_spin = QDoubleSpinBox(objectName="noiseLevelSpin", decimals=2, minimum=0.0, maximum=1.0,
                                         singleStep=0.05)  # fmt: skip
        self.dataset_combo = QComboBox(objectName="datasetCombo")
        for key, label in DATASETS.items():
            self.dataset_combo.addItem(label, key)
        self.dataset_label = QLabel("Loading data…", objectName="datasetLabel", wordWrap=True)
        self.download_button = QPushButton("Download full MNIST…", objectName="downloadButton")
        self.download_button.hide()
        self.train_button = QPushButton("Train", objectName="trainButton")
        self.train_button.setDefault(True)
        self.pause_button = QPushButton("Pause", objectName="pauseButton", checkable=True)
        self.stop_button = QPushButton("Stop", objectName="stopButton")
        self.reset_button = QPushButton("Reset model", objectName="resetButton")
        self.message_label = QLabel("", objectName="messageLabel", wordWrap=True)

        model_box = QGroupBox("Model and training")
        form = QFormLayout(model_box)
        form.addRow("Preset", self.preset_combo)
        form.addRow("Model", self.kind_combo)
        form.addRow("Code size", self.code_spin)
        form.addRow("Activation", self.activation_combo)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Augmentation", self.augment_spin)
        noise_row = QHBoxLayout()
        noise_row.addWidget(self.noise_combo, 1)
        noise_row.addWidget(self.noise_spin)
        form.addRow("Noise", noise_row)
        data_box = QGroupBox("Data")
        data_layout = QVBoxLayout(data_box)
        data_layout.addWidget(self.dataset_combo)
        data_layout.addWidget(self.dataset_label)
        data_layout.addWidget(self.download_button)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(model_box)
        layout.addWidget(data_box)
        layout.addLayout(buttons)
        layout.addWidget(self.reset_button)
        layout.addWidget(self.message_label)
        layout.addStretch(1)

        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.train_button.clicked.connect(self.trainRequested)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.stop_button.clicked.connect(self.stopRequested)
        self.reset_button.clicked.connect(self.resetRequested)
        self.lr_spin.valueChanged.connect(self.learningRateChanged)
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_changed)
        self.download_button.clicked.connect(self.downloadRequested)
        self._train_size = REFERENCE_TRAIN_SIZE
        self._base_model: ModelConfig | None = None
        self._fill_from_preset(get_preset("default"))
        self.set_running(False)

    # --- settings ---

    def _fill_from_preset(self, preset) -> None:
        train = preset.train
        self._base_model = None
        self._show_configs(preset.model, train)
        self.epochs_spin.setValue(epochs_for(preset, self._train_size))
        self.epochs_spin.setToolTip(f"The '{preset.name}' preset trains {train.epochs} epochs on full MNIST; "
                                    "more on smaller data, so that it still learns.")  # fmt: skip

    def set_train_size(self, size: int) -> None:
        """The loaded data's size: epochs follow the preset's advice for it, unless a person set them."""
        preset = get_preset(self.preset_name())
        advised = self.epochs_spin.value() == epochs_for(preset, self._train_size)
        self._train_size = size
        if advised:
            self.epochs_spin.setValue(epochs_for(preset, size))

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def preset_name(self) -> str:
        return self.preset_combo.currentData()

    def settings(self) -> tuple[ModelConfig, TrainConfig]:
        """The preset (or the opened model's architecture) customised by the fields.

        Raises ConfigError if they do not fit together.
        """
        preset = get_preset(self.preset_name())
        if self._base_model is not None:  # keep an opened model's layers, which no field shows
            preset = replace(preset, model=self._base_model)
        preset = customise(
            preset,
            model={"code_size": self.code_spin.value(), "activation": self.activation_combo.currentData(),
                   "kind": self.kind_combo.currentData()},
            train={"loss": self.loss_combo.currentData(), "optimizer": self.optimizer_combo.currentData(),
                   "lr": self.lr_spin.value(), "batch_size": self.batch_spin.value(),
                   "epochs": self.epochs_spin.value(), "augment": self.augment_spin.value(),
                   "noise": self.noise_combo.currentData(), "noise_level": self.noise_spin.value()},
        )  # fmt: skip
        return preset.model, preset.train

    def show_model(self, preset_name: str, model: ModelConfig, train: TrainConfig | None) -> None:
        """Reflect an opened model's settings in the fields."""
        if preset_name in PRESETS:
            self.preset_combo.blockSignals(True)
            self._select(self.preset_combo, preset_name)
            self.preset_combo.blockSignals(False)
        self._base_model = model
        self._show_configs(model, train)

    def _show_configs(self, model: ModelConfig, train: TrainConfig | None) -> None:
        """Put a model's settings, and a training configuration's if given, in the fields (not epochs)."""
        self._select(self.kind_combo, model.kind)
        self.code_spin.setValue(model.code_size)
        self._select(self.activation_combo, model.activation)
        if train is None:
            return
        self._select(self.loss_combo, train.loss)
        self._select(self.optimizer_combo, train.optimizer)
        self.lr_spin.blockSignals(True)  # filling the fields changes no running trainer's rate
        self.lr_spin.setValue(train.lr)
        self.lr_spin.blockSignals(False)
        self.batch_spin.setValue(train.batch_size)
        self.augment_spin.setValue(train.augment)
        self._select(self.noise_combo, train.noise)
        self.noise_spin.setValue(train.noise_level)

    def dataset_choice(self) -> str:
        return self.dataset_combo.currentData()

    def save_settings(self, settings: QSettings) -> None:
        settings.setValue("training/preset", self.preset_name())
        settings.setValue("training/code_size", self.code_spin.value())
        settings.setValue("training/activation", self.activation_combo.currentData())
        settings.setValue("training/loss", self.loss_combo.currentData())
        settings.setValue("training/optimizer", self.optimizer_combo.currentData())
        settings.setValue("training/lr", self.lr_spin.value())
        settings.setValue("training/batch_size", self.batch_spin.value())
        settings.setValue("training/epochs", self.epochs_spin.value())
        settings.setValue("training/kind", self.kind_combo.currentData())
        settings.setValue("training/augment", self.augment_spin.value())
        settings.setValue("training/noise", self.noise_combo.currentData())
        settings.setValue("training/noise_level", self.noise_spin.value())
        settings.setValue("data/choice", self.dataset_choice())

    def restore_settings(self, settings: QSettings) -> None:
        """Last session's values; anything missing or unusable keeps the default."""
        self.dataset_combo.blockSignals(True)
        self._select(self.dataset_combo, read(settings, "data/choice", "auto", str))
        self.dataset_combo.blockSignals(False)
        preset = read(settings, "training/preset", "default", str)
        if preset not in PRESETS:
            return
        self._select(self.preset_combo, preset)
        self._fill_from_preset(get_preset(preset))
        self.code_spin.setValue(read(settings, "training/code_size", self.code_spin.value(), int))
        self._select(self.activation_combo, read(settings, "training/activation", "", str))
        self._select(self.loss_combo, read(settings, "training/loss", "", str))
        self._select(self.optimizer_combo, read(settings, "training/optimizer", "", str))
        self.lr_spin.setValue(read(settings, "training/lr", self.lr_spin.value(), float))
        self.batch_spin.setValue(read(settings, "training/batch_size", self.batch_spin.value(), int))
        self.epochs_spin.setValue(read(settings, "training/epochs", self.epochs_spin.value(), int))
        self._select(self.kind_combo, read(settings, "training/kind", "", str))
        self.augment_spin.setValue(read(settings, "training/augment", self.augment_spin.value(), float))
        self._select(self.noise_combo, read(settings, "training/noise", "", str))
        self.noise_spin.setValue(read(settings, "training/noise_level", self.noise_spin.value(), float))

    # --- state ---

    def set_running(self, running: bool, paused: bool = False) -> None:
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.reset_button.setEnabled(not running)
        for widget in (self.preset_combo, self.code_spin, self.activation_combo, self.loss_combo,
                       self.optimizer_combo, self.batch_spin, self.epochs_spin, self.dataset_combo,
                       self.kind_combo, self.augment_spin, self.noise_combo, self.noise_spin):  # fmt: skip
            widget.setEnabled(not running)
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(running and paused)
        self.pause_button.setText("Resume" if running and paused else "Pause")
        self.pause_button.blockSignals(False)

    def set_dataset(self, text: str, offer_download: bool) -> None:
        self.dataset_label.setText(text)
        self.download_button.setVisible(offer_download)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(ERROR_STYLE if error else INFO_STYLE)

    # --- handlers ---

    def _on_preset_changed(self, _index: int) -> None:
        self._fill_from_preset(get_preset(self.preset_name()))

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pauseToggled.emit(paused)

    def _on_dataset_changed(self, _index: int) -> None:
        self.datasetChosen.emit(self.dataset_choice())
