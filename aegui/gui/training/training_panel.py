"""Training controls: preset, hyperparameters, dataset, and Train / Pause / Stop / Reset.

The fields come from one table (`aegui.core.model.fields`): their ranges, tooltips and stored settings.
What is enabled follows the session's phase (`apply_phase`); the panel only shows and emits.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aegui.core.checks import ConfigError
from aegui.core.model.configs import ModelConfig, TrainConfig, cpu_has_native_bf16
from aegui.core.model.fields import FIELDS
from aegui.core.model.presets import (
    LOSS_NAMES,
    PRESET_NAMES,
    PRESETS,
    REFERENCE_TRAIN_SIZE,
    customise,
    epochs_for,
    epochs_note,
    get_preset,
)
from aegui.gui.session.phases import Action, Phase, allowed
from aegui.gui.theme.themes import Theme, follow_theme, themes
from aegui.gui.widgets.combos import select
from aegui.gui.widgets.data_box import DataBox
from aegui.gui.window.settings import Settings, read

log = logging.getLogger(__name__)

CHOICE_LABELS = {"mlp": "Fully connected", "conv": "Convolutional", **LOSS_NAMES,
                 "rmsprop": "RMSProp", "adam": "Adam", "sgd": "SGD + momentum", "gaussian": "Gaussian"}  # fmt: skip
CHANGED_STYLE = "font-weight: bold;"
# what differs from a loaded model, in words: the panel's model fields, then what only the preset sets
MODEL_FIELD_LABELS = {**{field.name: field.words for field in FIELDS if field.part == "model"},
                      "hidden_sizes": "layers (preset)", "channels": "channels (preset)", "init": "initial weights",
                      "code_activation": "code activation (preset)"}  # fmt: skip


class TrainingPanel(QWidget):
    trainRequested = Signal()
    pauseToggled = Signal(bool)
    stopRequested = Signal()
    resetRequested = Signal()
    newModelRequested = Signal()  # from the note that says Train would go on with a model trained on other data
    learningRateChanged = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.preset_combo = QComboBox(objectName="presetCombo")
        for name in PRESET_NAMES:
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, PRESETS[name].summary, 3)  # tooltip role
        self.epochs_spin = QSpinBox(objectName="epochsSpin")
        self.batch_spin = QSpinBox(objectName="batchSizeSpin")
        self.lr_spin = QDoubleSpinBox(objectName="learningRateSpin", decimals=6)
        self.lr_spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.loss_combo = QComboBox(objectName="lossCombo")
        self.optimizer_combo = QComboBox(objectName="optimizerCombo")
        self.precision_combo = QComboBox(objectName="precisionCombo")
        self.code_spin = QSpinBox(objectName="codeSizeSpin")
        self.activation_combo = QComboBox(objectName="activationCombo")
        self.kind_combo = QComboBox(objectName="modelKindCombo")
        self.augment_spin = QDoubleSpinBox(objectName="augmentSpin", decimals=2, singleStep=0.1)
        self.shift_spin = QDoubleSpinBox(objectName="shiftSpin", decimals=2, singleStep=0.1)
        self.mirror_spin = QDoubleSpinBox(objectName="mirrorSpin", decimals=2, singleStep=0.1)
        self.noise_combo = QComboBox(objectName="noiseCombo")
        self.noise_spin = QDoubleSpinBox(objectName="noiseLevelSpin", decimals=2, singleStep=0.05)
        self.variational_check = QCheckBox("VAE", objectName="variationalCheck")
        self.beta_spin = QDoubleSpinBox(objectName="betaSpin", decimals=2, singleStep=0.1)
        self.warmup_spin = QSpinBox(objectName="klWarmupSpin", suffix=" epochs")
        self.epochs_note = QLabel("", objectName="epochsNote", wordWrap=True)
        self.epochs_note.hide()
        # the one table of fields drives ranges, choices, tooltips and stored settings
        self.fields: dict[str, QSpinBox | QDoubleSpinBox | QComboBox | QCheckBox] = {
            "kind": self.kind_combo, "code_size": self.code_spin, "activation": self.activation_combo,
            "loss": self.loss_combo, "optimizer": self.optimizer_combo, "lr": self.lr_spin,
            "batch_size": self.batch_spin, "epochs": self.epochs_spin, "precision": self.precision_combo,
            "augment": self.augment_spin, "shift": self.shift_spin, "mirror": self.mirror_spin,
            "noise": self.noise_combo, "noise_level": self.noise_spin, "variational": self.variational_check,
            "beta": self.beta_spin, "kl_warmup": self.warmup_spin,
        }  # fmt: skip
        for field in FIELDS:
            widget = self.fields[field.name]
            if isinstance(widget, QComboBox):
                for choice in field.choices:
                    widget.addItem(CHOICE_LABELS.get(choice, choice), choice)
            elif not isinstance(widget, QCheckBox):
                widget.setRange(field.low, field.high)
            note = f"; {field.window_note}" if field.window_note else ""
            widget.setToolTip(f"{field.help}{note} ({field.describe_range()})")
        self._epochs_tip = self.epochs_spin.toolTip() + "."
        here = "bf16" if cpu_has_native_bf16() else "fp32 (this CPU has no native bf16)"
        self.precision_combo.setToolTip(f"{self.precision_combo.toolTip()}. On this CPU auto means {here}.")
        self.data_box = DataBox()
        self.train_button = QPushButton("Train", objectName="trainButton")
        self.train_button.setDefault(True)
        self.pause_button = QPushButton("Pause", objectName="pauseButton", checkable=True)
        self.stop_button = QPushButton("Stop", objectName="stopButton")
        self.reset_button = QPushButton("Reset model", objectName="resetButton")
        self.message_label = QLabel("", objectName="messageLabel", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.new_model_label = QLabel("", objectName="newModelLabel", wordWrap=True)
        self.new_model_label.hide()
        self.data_note_label = QLabel("", objectName="dataNoteLabel", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.new_model_button = QPushButton("New model", objectName="newModelButton")
        self.new_model_button.setToolTip("Start from new, untrained weights (asks first about unsaved training).")
        self.show_data_note("")

        model_box = QGroupBox("Model and training")
        form = QFormLayout(model_box)
        form.addRow("Preset", self.preset_combo)
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.kind_combo, 1)
        kind_row.addWidget(self.variational_check)
        form.addRow("Model", kind_row)
        form.addRow("Code size", self.code_spin)
        form.addRow("Activation", self.activation_combo)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow(self.epochs_note)
        form.addRow("Precision", self.precision_combo)
        form.addRow("Augmentation", self.augment_spin)
        form.addRow("Pixel shifts", self.shift_spin)
        form.addRow("Mirrored", self.mirror_spin)
        noise_row = QHBoxLayout()
        noise_row.addWidget(self.noise_combo, 1)
        noise_row.addWidget(self.noise_spin)
        form.addRow("Noise", noise_row)
        form.addRow("KL weight β", self.beta_spin)
        form.addRow("KL warm-up", self.warmup_spin)
        form.addRow(self.new_model_label)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        settings = QWidget()
        settings_layout = QVBoxLayout(settings)
        settings_layout.setContentsMargins(0, 0, 0, 0)
        settings_layout.addWidget(model_box)
        settings_layout.addStretch(1)
        # The settings scroll on a short screen; the data (Leave out too), the buttons and the message stay in sight.
        self.settings_area = QScrollArea(objectName="settingsArea", widgetResizable=True)
        self.settings_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.settings_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields (scrolled into view)
        self.settings_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.settings_area.setWidget(settings)
        scroll_bar = self.settings_area.verticalScrollBar().sizeHint().width()
        self.settings_area.setMinimumWidth(settings.minimumSizeHint().width() + scroll_bar)
        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_area, 1)
        layout.addWidget(self.data_box)
        layout.addLayout(buttons)
        layout.addWidget(self.data_note_label)
        layout.addWidget(self.new_model_button)
        layout.addWidget(self.reset_button)
        layout.addWidget(self.message_label)

        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.epochs_spin.valueChanged.connect(self._show_epochs_note)
        self.train_button.clicked.connect(self.trainRequested)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.stop_button.clicked.connect(self.stopRequested)
        self.reset_button.clicked.connect(self.resetRequested)
        self.new_model_button.clicked.connect(self.newModelRequested)
        self.lr_spin.valueChanged.connect(self.learningRateChanged)
        self._train_size = REFERENCE_TRAIN_SIZE
        self._base_model: ModelConfig | None = None
        self._loaded: ModelConfig | None = None
        self._fill_from_preset(get_preset("default"))
        for widget in (self.preset_combo, self.kind_combo, self.code_spin, self.activation_combo):
            signal = widget.currentIndexChanged if isinstance(widget, QComboBox) else widget.valueChanged
            signal.connect(self._on_model_field_changed)
        self.variational_check.toggled.connect(self._on_model_field_changed)
        self._message_is_error = False
        follow_theme(self._colour_message)
        self.apply_phase(Phase.LOADING)

    # --- settings ---

    def _fill_from_preset(self, preset) -> None:
        train = preset.train
        self._base_model = None
        self._show_configs(preset.model, train)
        self.epochs_spin.setValue(epochs_for(preset, self._train_size))
        self.epochs_spin.setToolTip(f"{self._epochs_tip} The '{preset.name}' preset trains {train.epochs} epochs on "
                                    "full MNIST; more on smaller data, so that it still learns.")  # fmt: skip
        self._show_epochs_note()

    def set_train_size(self, size: int) -> None:
        """The loaded data's size: epochs follow the preset's advice for it, unless a person set them."""
        preset = get_preset(self.preset_name())
        advised = self.epochs_spin.value() == epochs_for(preset, self._train_size)
        self._train_size = size
        if advised:
            self.epochs_spin.setValue(epochs_for(preset, size))
        self._show_epochs_note()

    def _show_epochs_note(self, *_args) -> None:
        """Why the Epochs field holds more than the preset's epochs, while it holds the advised number."""
        preset = get_preset(self.preset_name())
        advised = self.epochs_spin.value() == epochs_for(preset, self._train_size)
        note = epochs_note(preset, self._train_size) if advised else ""
        self.epochs_note.setText(note)
        self.epochs_note.setVisible(bool(note))

    def preset_name(self) -> str:
        return self.preset_combo.currentData()

    def choose_preset(self, name: str) -> None:
        """Select a preset, its settings filling the fields, as a person picking it would."""
        select(self.preset_combo, name)

    def settings(self) -> tuple[ModelConfig, TrainConfig]:
        """The preset (or the opened model's architecture) customised by the fields.

        Raises ConfigError if they do not fit together.
        """
        preset = get_preset(self.preset_name())
        if self._base_model is not None:  # keep an opened model's layers, which no field shows
            preset = replace(preset, model=self._base_model)
        preset = customise(
            preset,
            model={field.name: self.value(field.name) for field in FIELDS if field.part == "model"},
            train={**{field.name: self.value(field.name) for field in FIELDS if field.part == "train"},
                   "exclude_class": self.data_box.excluded_class()},
        )  # fmt: skip
        return preset.model, preset.train

    def show_model(self, preset_name: str, model: ModelConfig, train: TrainConfig | None) -> None:
        """Reflect an opened model's settings in the fields."""
        if preset_name in PRESETS:
            self.preset_combo.blockSignals(True)
            select(self.preset_combo, preset_name)
            self.preset_combo.blockSignals(False)
        self._base_model = model
        self._show_configs(model, train)
        self._show_epochs_note()  # (the note is the preset's: this one's now)

    def _show_configs(self, model: ModelConfig, train: TrainConfig | None) -> None:
        """Put a model's settings, and a training configuration's if given, in the fields (not epochs)."""
        select(self.kind_combo, model.kind)
        self.variational_check.setChecked(model.variational)
        self.code_spin.setValue(model.code_size)
        select(self.activation_combo, model.activation)
        if train is None:
            return
        self.lr_spin.blockSignals(True)  # filling the fields changes no running trainer's rate
        for field in FIELDS:
            if field.part == "train" and field.name != "epochs":  # (epochs: the preset's advice for the data)
                self.set_value(field.name, getattr(train, field.name))
        self.lr_spin.blockSignals(False)
        self.data_box.set_excluded(train.exclude_class)

    def value(self, name: str):
        widget = self.fields[name]
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        return widget.currentData() if isinstance(widget, QComboBox) else widget.value()

    def set_value(self, name: str, value) -> None:
        widget = self.fields[name]
        if isinstance(widget, QComboBox):
            select(widget, value)
        elif isinstance(widget, QCheckBox):
            widget.setChecked(value)
        else:
            widget.setValue(value)

    def save_settings(self, settings: QSettings) -> None:
        settings.setValue("training/preset", self.preset_name())
        for field in FIELDS:
            settings.setValue(field.key, self.value(field.name))
        self.data_box.save_settings(settings)

    def restore_settings(self, settings: Settings) -> None:
        """Last session's values; anything missing, of the wrong type, out of range or not finite keeps
        the default (and says so in the log)."""
        self.data_box.restore_settings(settings)
        preset = read(settings, "training/preset", "default", str)
        if preset not in PRESETS:
            if settings.contains("training/preset"):
                log.warning("Stored preset %r is unknown; using the default settings.", preset)
            return
        select(self.preset_combo, preset)
        self._fill_from_preset(get_preset(preset))
        for field in FIELDS:
            if not settings.contains(field.key):
                continue
            stored = read(settings, field.key, None, str)  # (plain text only: anything else is unusable)
            value = field.parse(stored)
            if value is None:
                log.warning("Stored %s %r is unusable (%s); keeping %r.", field.name, stored, field.describe_range(),
                            self.value(field.name))  # fmt: skip
                continue
            if field.name == "lr":
                self.lr_spin.blockSignals(True)
                self.set_value(field.name, value)
                self.lr_spin.blockSignals(False)
            else:
                self.set_value(field.name, value)

    # --- state ---

    def apply_phase(self, phase: Phase) -> None:
        """Enable what the phase allows (the one table in `phases`), and show Pause or Resume."""
        running = phase in (Phase.TRAINING, Phase.PAUSING, Phase.PAUSED, Phase.STOPPING)
        paused = phase in (Phase.PAUSING, Phase.PAUSED)
        self.train_button.setEnabled(allowed(Action.TRAIN, phase))
        self.pause_button.setEnabled(allowed(Action.PAUSE, phase) or allowed(Action.RESUME, phase))
        self.stop_button.setEnabled(allowed(Action.STOP, phase))
        self.reset_button.setEnabled(allowed(Action.RESET, phase))
        self.new_model_button.setEnabled(allowed(Action.RESET, phase))
        editable = allowed(Action.EDIT_SETTINGS, phase)
        for name, widget in self.fields.items():
            widget.setEnabled(editable or (name == "lr" and allowed(Action.SET_LR, phase)))
        self.preset_combo.setEnabled(editable)
        self.data_box.apply_phase(phase)
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(running and paused)
        self.pause_button.setText("Resume" if running and paused else "Pause")
        self.pause_button.blockSignals(False)

    def show_loaded_model(self, config: ModelConfig | None) -> None:
        """The architecture of the model in the session, to mark the fields that differ from it."""
        self._loaded = config
        self._on_model_field_changed()

    def differences(self) -> list[str]:
        """The model fields whose settings differ from the loaded model's (Train then starts a new one)."""
        if self._loaded is None:
            return []
        try:
            wanted, _ = self.settings()
        except ConfigError:  # fields that do not fit together: Train will say why
            return []
        return [label for name, label in MODEL_FIELD_LABELS.items()
                if getattr(wanted, name) != getattr(self._loaded, name)]  # fmt: skip

    def _on_model_field_changed(self, *_args) -> None:
        changed = self.differences()
        for name in ("kind", "variational", "code_size", "activation"):
            self.fields[name].setStyleSheet(CHANGED_STYLE if MODEL_FIELD_LABELS[name] in changed else "")
        self.preset_combo.setStyleSheet(CHANGED_STYLE if MODEL_FIELD_LABELS["hidden_sizes"] in changed else "")
        self.new_model_label.setText(
            f"Differs from the loaded model ({', '.join(changed)}): Train starts a new model." if changed else ""
        )
        self.new_model_label.setVisible(bool(changed))

    def show_data_note(self, text: str) -> None:
        """Beside Train: the model was trained on other data than is loaded now (empty: hide the note)."""
        self.data_note_label.setText(text)
        self.data_note_label.setVisible(bool(text))
        self.new_model_button.setVisible(bool(text))

    def show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self._message_is_error = error
        self._colour_message(themes().theme)

    def show_notice(self, notice) -> None:
        """A warning or error from the error sink (`gui/app_wide/notices`); Help › Messages keeps the detail."""
        if notice.severity >= logging.WARNING:
            self.show_message(f"{notice.message} (Help › Messages has the detail)", error=True)

    def _colour_message(self, theme: Theme) -> None:
        self.message_label.setStyleSheet(f"color: {theme.error_text};" if self._message_is_error else "")

    # --- handlers ---

    def _on_preset_changed(self, _index: int) -> None:
        self._fill_from_preset(get_preset(self.preset_name()))

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pauseToggled.emit(paused)
