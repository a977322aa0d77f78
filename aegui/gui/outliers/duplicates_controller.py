"""Keeps the Outliers tab's Near-duplicates mode in step with the model and the data: every image described in a
worker (from a copy of the current weights, cancellable, the latest request winning), the pairs found at the
closeness chosen, one image of each group kept and the rest marked as copies; Move copies aside… moves the marked
files of an image folder into a folder (as Outliers' Move aside does, by `core.files.moves`), Put back returns
them."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from aegui.core.analysis.outliers import Cancelled
from aegui.core.errors import AeguiError
from aegui.core.files.moves import Move, Moved, move_files, plan_moves, put_back
from aegui.gui.concurrency.latest import LatestTask
from aegui.gui.outliers.duplicate_search import Search, describe, has_files, search
from aegui.gui.outliers.duplicates_view import COPY, KEPT, MOVED, DuplicatesView, ShownImage, ShownPair
from aegui.gui.outliers.keeping_up import KeepingUp

NO_FILES = "Moving copies aside needs an image folder (these images are no files)."


def _describe_and_search(config, state, dataset, ratio: float, cancel: threading.Event) -> Search:
    return search(describe(config, state, dataset, cancel), ratio, cancel)


class DuplicatesController(KeepingUp):
    found = Signal()  # the pairs of the current weights, data and closeness are shown
    WAITING = "The near-duplicates follow when training ends (finding them costs a pass over the data)."

    def __init__(self, session, view: DuplicatesView, report, parent: QObject | None = None) -> None:
        super().__init__(session, view, parent)
        self._report = report
        self.result: Search | None = None
        self.copies: set[int] = set()  # positions of the images marked as copies
        self.moved: dict[str, Path] = {}  # an image's name in its folder -> where its file was moved
        self.last_moves: tuple[Move, ...] = ()  # what Put back returns: every copy moved and not put back yet
        self._finding = LatestTask(self._on_found, self._on_failed, self)
        view.ratioChosen.connect(self._on_ratio_chosen)
        view.copyToggled.connect(self._on_copy_toggled)
        view.moveAsideRequested.connect(self._on_move_aside_requested)
        view.putBackRequested.connect(self._on_put_back_requested)

    # --- keeping up (when, in `KeepingUp`) ---

    def _forget(self) -> None:
        self.result = None

    def refresh(self, keep_description: bool = False) -> None:
        """Find the pairs again: from scratch, or (`keep_description`) at a new closeness from the images already
        described. The latest request wins: an earlier one still running is cancelled, its answer dropped."""
        inputs = self._fresh_inputs()
        if inputs is None:
            return
        (state, dataset), session = inputs, self.session
        files = has_files(dataset)
        self.view.show_files(files, "" if files else NO_FILES)
        ratio = self.view.ratio()
        count = len(dataset.train_images) + len(dataset.test_images)
        self.view.show_status(f"Looking for near-duplicates among {count:,} images…")
        if keep_description and self.result is not None:
            self._finding.start(search, self.result.described, ratio)
        else:
            self._finding.start(_describe_and_search, session.model.config, state, dataset, ratio)

    def cancel(self) -> None:
        self._finding.cancel()

    def _on_found(self, result: Search) -> None:
        if self.session.closed:
            return
        self.result = result
        found, pairs = result.described.found, result.pairs
        self.copies = {position for group, kept in result.kept.items() for position in pairs.members(group)
                       if position != kept and position in result.pictures}  # fmt: skip

        def image(position: int) -> ShownImage:
            return ShownImage(result.pictures[position], found.names[position], result.details[position])

        shown = [ShownPair(int(pairs.groups[row]), image(int(pairs.first[row])), image(int(pairs.second[row])),
                           float(pairs.distances[row]), float(pairs.relative[row]))
                 for row in range(result.shown)]  # fmt: skip
        self.view.show_pairs(shown, result.described.folder is not None)
        self._mark()
        self._say()
        self.found.emit()

    def _on_failed(self, error: Exception) -> None:
        if not isinstance(error, Cancelled):
            self.view.show_status(f"Could not look for near-duplicates: {error}")

    def _mark(self) -> None:
        if self.result is None:
            return
        pairs, names = self.result.pairs, self.result.described.found.names

        def mark(position: int) -> str:
            return MOVED if names[position] in self.moved else COPY if position in self.copies else KEPT

        self.view.set_marks([(mark(int(pairs.first[row])), mark(int(pairs.second[row])))
                             for row in range(self.result.shown)])  # fmt: skip

    def _say(self) -> None:
        result = self.result
        if result is None:
            return
        pairs, count = result.pairs, len(result.described.found.names)
        if not len(pairs):
            none = (f"No near-duplicates among {count:,} images at closeness {pairs.ratio:g} (a higher closeness "
                    "finds more, and more that are only alike).")  # fmt: skip
            self.view.show_status(none if result.described.folder is not None else f"{none} {NO_FILES}")
            return
        plural = "s" if len(pairs) != 1 else ""
        text = (f"{len(pairs):,} pair{plural} in {pairs.group_count:,} group{'s' if pairs.group_count != 1 else ''} "
                f"among {count:,} images")  # fmt: skip
        if result.shown < len(pairs):
            text += f" (the nearest {result.shown} pairs shown)"
        if result.described.folder is None:
            text += ". " + NO_FILES
        else:
            text += f"; {len(self.copies):,} checked as copies (of each group the largest image is kept)."
        self.view.show_status(text)

    # --- a person's choices ---

    def _on_ratio_chosen(self, _ratio: float) -> None:
        if not self.session.unfit_note() and not self.session.is_training():
            self.refresh(keep_description=True)

    def _on_copy_toggled(self, row: int, image: int, copy: bool) -> None:
        result = self.result
        if result is None or not 0 <= row < result.shown:
            return
        position = int((result.pairs.first if image == 0 else result.pairs.second)[row])
        group = int(result.pairs.groups[row])
        members = [member for member in result.pairs.members(group) if member in result.pictures]
        if copy and all(member in self.copies or member == position for member in members):
            self._report("One image of each group is kept: uncheck another of this group first.", True)
        elif copy:
            self.copies.add(position)
        else:
            self.copies.discard(position)
        self._mark()
        self._say()

    def _on_move_aside_requested(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = self._folder()
        if folder is None:
            return
        chosen = QFileDialog.getExistingDirectory(self.view, "Move the copies into which folder?", str(folder.parent))
        if chosen:
            self.move_copies(Path(chosen))

    def _folder(self) -> Path | None:
        """The image folder the pairs are files of, or None (and why)."""
        folder = self.result.described.folder if self.result is not None else None
        if self.result is None:
            self._report("The near-duplicates are not found yet.", True)
        elif folder is None:
            self._report(NO_FILES, True)
        return folder

    def move_copies(self, folder: Path) -> Moved | None:
        """Move the files checked as copies into `folder`, each under its path in the image folder (its class's
        folder kept): never over another file, never deleting; Put back returns them."""
        source = self._folder()
        if source is None:
            return None
        names = self.result.described.found.names
        chosen = [source / names[position] for position in sorted(self.copies) if names[position] not in self.moved]
        if not chosen:
            self._report("No image is checked as a copy.", True)
            return None
        if folder.resolve().is_relative_to(source.resolve()):
            self._report(f"Pick a folder outside {source.name}: copies moved into it would be read again with it.",
                         True)  # fmt: skip
            return None
        try:
            moved = move_files(plan_moves(chosen, folder, source))
        except AeguiError as error:
            self._report(str(error), True)
            return None
        self.moved.update({move.source.relative_to(source).as_posix(): move.target for move in moved.done})
        self.last_moves += moved.done
        self.view.show_put_back(bool(moved.done))
        self._mark()
        count = len(moved.done)
        said = (f"Moved {count} cop{'ies' if count != 1 else 'y'} to {folder}; open the image folder again to "
                "train without them.")  # fmt: skip
        self._report(f"{moved.problem} {said}" if moved.problem else said, bool(moved.problem))
        self.view.show_status(said)
        return moved

    def _on_put_back_requested(self) -> None:
        self.put_back()

    def put_back(self) -> bool:
        """Return the copies moved aside (and not put back yet) to where they were."""
        if not self.last_moves:
            return False
        try:
            returned = put_back(self.last_moves)
        except AeguiError as error:
            self._report(f"Could not put the copies back: {error}", True)
            return False
        back = {move.target for move in returned.done}  # (each file's own place again)
        self.moved = {name: target for name, target in self.moved.items()
                      if target not in {move.source for move in returned.done}}  # fmt: skip
        self.last_moves = tuple(move for move in self.last_moves if move.source not in back)
        self.view.show_put_back(bool(self.last_moves))
        self._mark()
        count = len(returned.done)
        said = f"Put {count} cop{'ies' if count != 1 else 'y'} back where they were."
        self._report(f"{returned.problem} {said}" if returned.problem else said, bool(returned.problem))
        self.view.show_status(said)
        return not returned.problem
