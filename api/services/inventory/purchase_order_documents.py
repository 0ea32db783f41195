"""A purchase order as the documents a merchant sends to the supplier: a one-page PDF (fpdf2)
and a CSV of its lines, in Czech or English.

The PDF needs a Unicode TrueType font for Czech letters: `SHOPOPS_PDF_FONT`, else DejaVu Sans
where the system has it (Debian's fonts-dejavu-core). Without one the core Helvetica font is
used and letters outside Latin-1 lose their accents (č → c), so the document still renders.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF, FontFace

from api.services.inventory.purchase_orders import PurchaseOrderOut

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
LABELS = {
    "en": {
        "title": "Purchase order",
        "supplier": "Supplier",
        "buyer": "Buyer",
        "ordered": "Ordered",
        "expected": "Expected delivery",
        "note": "Note",
        "code": "Code",
        "name": "Item",
        "quantity": "Quantity",
        "unit_price": "Unit price",
        "total": "Total",
        "grand_total": "Total",
    },
    "cs": {
        "title": "Objednávka",
        "supplier": "Dodavatel",
        "buyer": "Odběratel",
        "ordered": "Objednáno",
        "expected": "Očekávané dodání",
        "note": "Poznámka",
        "code": "Kód",
        "name": "Položka",
        "quantity": "Množství",
        "unit_price": "Cena za kus",
        "total": "Celkem",
        "grand_total": "Celkem",
    },
}
CSV_COLUMNS = (
    "purchase_order_id",
    "supplier",
    "variant_code",
    "variant_name",
    "quantity",
    "unit_price",
    "line_total",
    "currency",
)


def unicode_font() -> Path | None:
    configured = os.environ.get("SHOPOPS_PDF_FONT")
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def _number(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return ""
    text = f"{value:,.{places}f}".replace(",", " ")
    return text.rstrip("0").rstrip(".") if places == 3 else text


def _day(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d")


def order_pdf(order: PurchaseOrderOut, shop_name: str, lang: str = "cs") -> bytes:
    """One order as a PDF: who buys from whom, when, and a table of lines with the total."""
    words = LABELS.get(lang, LABELS["en"])
    font = unicode_font()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    if font is not None:
        pdf.add_font("Body", "", str(font))
        family = "Body"

        def t(value: object) -> str:
            return str(value)
    else:
        family = "Helvetica"

        def t(value: object) -> str:  # Latin-1 only: strip what it cannot show
            plain = unicodedata.normalize("NFKD", str(value))
            return plain.encode("latin-1", "ignore").decode("latin-1")

    pdf.set_font(family, size=18)
    pdf.cell(0, 10, t(f"{words['title']} PO-{order.id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    facts = [
        (words["buyer"], shop_name),
        (
            words["supplier"],
            " · ".join(x for x in (order.supplier_name, order.supplier_email) if x),
        ),
        (words["ordered"], _day(order.ordered_at)),
        (words["expected"], _day(order.expected_at)),
    ]
    if order.note:
        facts.append((words["note"], order.note))
    for label, value in facts:
        pdf.cell(45, 6, t(label + ":"))
        pdf.multi_cell(0, 6, t(value or "–"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    currency = order.currency
    with pdf.table(
        col_widths=(30, 70, 25, 30, 35),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=6,
        # no bold: one font file is all the Unicode font needs
        headings_style=FontFace(emphasis=None, fill_color=(230, 230, 230)),
    ) as table:
        table.row([t(words[k]) for k in ("code", "name", "quantity", "unit_price", "total")])
        for line in order.lines:
            price = line.unit_price
            total = None if price is None else (line.quantity * price).quantize(Decimal("0.01"))
            table.row(
                [
                    t(line.variant_code),
                    t(line.variant_name or ""),
                    _number(line.quantity, 3),
                    _number(price),
                    _number(total),
                ]
            )
    pdf.ln(3)
    pdf.set_font(family, size=12)
    pdf.cell(
        0, 8, t(f"{words['grand_total']}: {_number(order.total_cost)} {currency}"), align="R"
    )
    return bytes(pdf.output())


def order_csv(order: PurchaseOrderOut) -> str:
    """The order's lines, one row each, with the supplier and currency repeated per row so the
    file stands on its own in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for line in order.lines:
        price = line.unit_price
        writer.writerow(
            [
                order.id,
                order.supplier_name or "",
                line.variant_code,
                line.variant_name or "",
                line.quantity,
                "" if price is None else price,
                "" if price is None else (line.quantity * price).quantize(Decimal("0.01")),
                order.currency,
            ]
        )
    return buffer.getvalue()
