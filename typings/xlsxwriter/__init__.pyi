# Stubs for the part of XlsxWriter this project uses (activities/exports/writer.py). XlsxWriter
# carries partial inline annotations but no py.typed, and no stub package exists on PyPI;
# extend these when the writer uses more of its API.
from xlsxwriter.workbook import Workbook as Workbook

__version__: str
