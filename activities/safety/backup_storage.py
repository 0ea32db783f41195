"""Where backup files live: a small interface, with a local directory as the default store.

An S3-compatible store implements the same five methods (put/get/open/list/delete); nothing
else in the backup code knows where the bytes are.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from db.config import get_settings


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    modified_at: datetime


class BackupStorage(Protocol):
    """The operations backups need from a store."""

    label: str

    def put(self, name: str, source: Path) -> StoredFile:
        """Store the local file `source` under `name` (the source may be moved)."""
        ...

    def get(self, name: str, target: Path) -> Path:
        """Copy the stored file to `target` on local disk."""
        ...

    def open(self, name: str) -> BinaryIO:
        """A readable binary stream of the stored file."""
        ...

    def list(self) -> list[StoredFile]:
        """Every stored file, oldest first."""
        ...

    def delete(self, name: str) -> bool:
        """Remove the file; False when it was not there."""
        ...

    def local_path(self, name: str) -> Path | None:
        """A path pg_restore can read directly, when the store is local (else None)."""


class DirectoryStorage:
    """Backups as files in one directory (default: `<data_dir>/backups`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = f"dir:{root}"

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"not a plain backup file name: {name!r}")
        return self.root / name

    def put(self, name: str, source: Path) -> StoredFile:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self._path(name)
        partial = target.with_name(f".{name}.partial")
        shutil.move(source, partial)
        os.replace(partial, target)  # readers never see a half-written file
        return self._stat(target)

    def get(self, name: str, target: Path) -> Path:
        shutil.copyfile(self._require(name), target)
        return target

    def open(self, name: str) -> BinaryIO:
        return self._require(name).open("rb")

    def list(self) -> list[StoredFile]:
        if not self.root.exists():
            return []
        files = [
            self._stat(p) for p in self.root.iterdir() if p.is_file() and not p.name.startswith(".")
        ]
        return sorted(files, key=lambda f: (f.modified_at, f.name))

    def delete(self, name: str) -> bool:
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            return False
        return True

    def local_path(self, name: str) -> Path | None:
        return self._require(name)

    def _require(self, name: str) -> Path:
        path = self._path(name)
        if not path.is_file():
            raise FileNotFoundError(f"backup file {name!r} is not in {self.label}")
        return path

    @staticmethod
    def _stat(path: Path) -> StoredFile:
        st = path.stat()
        return StoredFile(path.name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))


def default_storage() -> BackupStorage:
    return DirectoryStorage(get_settings().backup_dir)
