from collections.abc import Mapping
from os import PathLike
from types import TracebackType
from typing import IO

from xlsxwriter.worksheet import Worksheet

class Workbook:
    def __init__(
        self,
        filename: str | PathLike[str] | IO[bytes] | None = None,
        options: Mapping[str, object] | None = None,
    ) -> None: ...
    def __enter__(self) -> Workbook: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
    def add_worksheet(self, name: str | None = None) -> Worksheet: ...
    def close(self) -> None: ...
