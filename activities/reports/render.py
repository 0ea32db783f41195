"""The weekly sales report as HTML (inline SVG charts) and as PDF (fpdf2), in Czech or English.

The PDF draws the same charts with rectangles, so it needs no image conversion. Czech letters
need a Unicode TrueType font: SHOPOPS_PDF_FONT or DejaVu Sans, as the purchase order PDF uses
(without one, core Helvetica drops the accents).
"""

from __future__ import annotations

import os
import unicodedata
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from fpdf import FPDF, FontFace

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Weekly sales report",
        "week": "Week",
        "revenue": "Revenue",
        "orders": "Orders",
        "aov": "Average order value",
        "previous": "Previous week",
        "daily": "Revenue by day",
        "channels": "Sales by channel",
        "channel": "Channel",
        "top": "Top products",
        "product": "Product",
        "quantity": "Quantity",
        "at_risk": "Customers at risk",
        "customer": "Customer",
        "churn": "Churn risk",
        "value": "Value at risk",
        "last_order": "Last order",
        "stockouts": "Stock-outs ahead",
        "order_by": "Order by",
        "on_hand": "On hand",
        "supplier": "Supplier",
        "summary": "Summary",
        "none": "Nothing to show.",
    },
    "cs": {
        "title": "Týdenní přehled prodejů",
        "week": "Týden",
        "revenue": "Tržby",
        "orders": "Objednávky",
        "aov": "Průměrná objednávka",
        "previous": "Předchozí týden",
        "daily": "Tržby po dnech",
        "channels": "Prodeje podle kanálu",
        "channel": "Kanál",
        "top": "Nejprodávanější produkty",
        "product": "Produkt",
        "quantity": "Množství",
        "at_risk": "Ohrožení zákazníci",
        "customer": "Zákazník",
        "churn": "Riziko odchodu",
        "value": "Ohrožená hodnota",
        "last_order": "Poslední objednávka",
        "stockouts": "Hrozící vyprodání",
        "order_by": "Objednat do",
        "on_hand": "Skladem",
        "supplier": "Dodavatel",
        "summary": "Shrnutí",
        "none": "Nic k zobrazení.",
    },
}
DAY_NAMES = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "cs": ("po", "út", "st", "čt", "pá", "so", "ne"),
}
BAR = "#228be6"


def money(value: str | Decimal, lang: str) -> str:
    """`12,345.50` in English, `12 345,50` in Czech."""
    text = f"{Decimal(value):,.2f}"
    return text.replace(",", "\u00a0").replace(".", ",") if lang == "cs" else text


def day_text(iso: str, lang: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(d)}. {int(m)}. {y}" if lang == "cs" else iso


def _period(data: dict[str, Any], lang: str) -> str:
    from datetime import date, timedelta

    last = (date.fromisoformat(data["week_end"]) - timedelta(days=1)).isoformat()
    return f"{day_text(data['week_start'], lang)} – {day_text(last, lang)}"


# ----------------------------------------------------------------------------- HTML


def bar_chart_svg(values: list[float], labels: list[str], width: int = 560, height: int = 180) -> str:
    """A bar per value, labelled below; the tallest bar fills the height."""
    top = max(values) if values and max(values) > 0 else 1.0
    slot = width / max(len(values), 1)
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = (height - 30) * value / top
        x = i * slot + slot * 0.15
        bars.append(
            f'<rect x="{x:.1f}" y="{height - 20 - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{BAR}"><title>{escape(label)}: {value:,.2f}</title></rect>'
            f'<text x="{x + slot * 0.35:.1f}" y="{height - 5}" font-size="11" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">{"".join(bars)}</svg>'
    )


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"<p>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sections(data: dict[str, Any], lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    t = LABELS[lang]
    return [
        (t["top"], [t["product"], t["quantity"], t["revenue"]],
         [[p["name"], p["quantity"], money(p["revenue"], lang)] for p in data["top_products"]]),
        (t["channels"], [t["channel"], t["orders"], t["revenue"]],
         [[c["channel"], str(c["orders"]), money(c["revenue"], lang)] for c in data["channels"]]),
        (t["at_risk"], [t["customer"], t["churn"], t["value"], t["last_order"]],
         [[c["customer"], f"{round(100 * c['churn_risk'])} %", money(c["value_at_risk"], lang),
           day_text(c["last_order"], lang)] for c in data["at_risk_customers"]]),
        (t["stockouts"], [t["product"], t["on_hand"], t["order_by"], t["supplier"]],
         [[s["name"] or s["code"], s["on_hand"] or "–", day_text(s["order_by"], lang),
           s["supplier"] or "–"] for s in data["stockouts"]]),
    ]


def report_html(data: dict[str, Any], shop_name: str, lang: str, summary: str | None) -> str:
    t = LABELS[lang]
    cur = data["currency"]
    days = [float(d["revenue"]) for d in data["daily"]]
    channel_chart = bar_chart_svg(
        [float(c["revenue"]) for c in data["channels"]], [c["channel"] for c in data["channels"]],
        height=140,
    )
    parts = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(t['title'])} – {escape(shop_name)}</title>"
        "<style>body{font-family:sans-serif;max-width:760px;margin:auto;color:#222}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
        "padding:4px;text-align:left}.kpi{display:inline-block;margin-right:32px}"
        ".kpi b{display:block;font-size:22px}</style></head><body>",
        f"<h1>{escape(t['title'])}: {escape(shop_name)}</h1>",
        f"<p>{escape(t['week'])} {escape(_period(data, lang))}</p>",
        '<div class="kpis">',
        f'<span class="kpi">{escape(t["revenue"])}<b>{money(data["revenue"], lang)} {cur}</b></span>',
        f'<span class="kpi">{escape(t["orders"])}<b>{data["orders"]}</b></span>',
        f'<span class="kpi">{escape(t["aov"])}<b>{money(data["average_order_value"], lang)} {cur}</b></span>',
        "</div>",
        f"<p>{escape(t['previous'])}: {money(data['previous_revenue'], lang)} {cur} "
        f"({escape(t['orders'])}: {data['previous_orders']})</p>",
    ]
    if summary:
        parts.append(f"<h2>{escape(t['summary'])}</h2><p>{escape(summary)}</p>")
    parts.append(f"<h2>{escape(t['daily'])}</h2>{bar_chart_svg(days, list(DAY_NAMES[lang]))}")
    for i, (title, headers, rows) in enumerate(_sections(data, lang)):
        parts.append(f"<h2>{escape(title)}</h2>")
        if i == 1 and rows:
            parts.append(channel_chart)
        parts.append(_table(headers, rows, t["none"]))
    parts.append("</body></html>")
    return "".join(parts)


# ----------------------------------------------------------------------------- PDF


def _font() -> Path | None:
    configured = os.environ.get("SHOPOPS_PDF_FONT")
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    return None


class _Pdf:
    def __init__(self) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        font = _font()
        self.unicode = font is not None
        if font is not None:
            self.pdf.add_font("Report", "", str(font))
            self.family = "Report"
        else:
            self.family = "Helvetica"

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        value = value.replace("\u00a0", " ").replace("–", "-")
        return unicodedata.normalize("NFKD", value).encode("latin-1", "ignore").decode("latin-1")

    def line(self, value: str, size: int = 10, height: float = 6) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, height, self.text(value), new_x="LMARGIN", new_y="NEXT")

    def bars(self, values: list[float], labels: list[str], height: float = 40) -> None:
        top = max(values) if values and max(values) > 0 else 1.0
        x0, y0 = self.pdf.l_margin, self.pdf.get_y() + 2
        slot = (self.pdf.w - 2 * self.pdf.l_margin) / max(len(values), 1)
        self.pdf.set_fill_color(34, 139, 230)
        self.pdf.set_font(self.family, size=8)
        for i, (value, label) in enumerate(zip(values, labels, strict=True)):
            h = height * value / top
            self.pdf.rect(x0 + i * slot + slot * 0.15, y0 + height - h, slot * 0.7, h, style="F")
            self.pdf.text(x0 + i * slot + slot * 0.3, y0 + height + 4, self.text(label))
        self.pdf.set_y(y0 + height + 7)

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        self.pdf.set_font(self.family, size=9)
        # a regular face in headings: the Unicode font is registered without a bold style
        headings = FontFace(emphasis=None, fill_color=(230, 230, 230))
        with self.pdf.table(text_align="LEFT", line_height=5, headings_style=headings) as table:
            table.row([self.text(h) for h in headers])
            for row in rows:
                table.row([self.text(c) for c in row])
        self.pdf.ln(3)


def report_pdf(data: dict[str, Any], shop_name: str, lang: str, summary: str | None) -> bytes:
    t = LABELS[lang]
    cur = data["currency"]
    doc = _Pdf()
    doc.line(f"{t['title']}: {shop_name}", size=16, height=9)
    doc.line(f"{t['week']} {_period(data, lang)}")
    doc.line(f"{t['revenue']}: {money(data['revenue'], lang)} {cur}", size=12)
    doc.line(f"{t['orders']}: {data['orders']}", size=12)
    doc.line(f"{t['aov']}: {money(data['average_order_value'], lang)} {cur}", size=12)
    doc.line(
        f"{t['previous']}: {money(data['previous_revenue'], lang)} {cur} "
        f"({t['orders']}: {data['previous_orders']})"
    )
    if summary:
        doc.line(t["summary"], size=13, height=8)
        doc.line(summary)
    doc.line(t["daily"], size=13, height=8)
    doc.bars([float(d["revenue"]) for d in data["daily"]], list(DAY_NAMES[lang]))
    for i, (title, headers, rows) in enumerate(_sections(data, lang)):
        doc.line(title, size=13, height=8)
        if i == 1 and rows:
            doc.bars([float(c["revenue"]) for c in data["channels"]], [r[0] for r in rows], 25)
        if rows:
            doc.table(headers, rows)
        else:
            doc.line(t["none"])
    return bytes(doc.pdf.output())
