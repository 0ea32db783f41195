"""Suppliers and offers from the API (issue 16, item 7): managed per shop, imported from CSV
with bad rows reported and good ones kept, chosen by the next plan; purchase orders need a
supplier and come as PDF and CSV to send. And a variant whose code holds "/" has a forecast
reachable at its URL-encoded path (item 1)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

import httpx
import psycopg
import pytest
from pypdf import PdfReader

from tests.inventory.conftest import SeededShop, plan_now, rows, seed
from tests.support import assert_problem, login

SLASHED = "TRIKO/M/modré"  # Shoptet variant codes often look like this


@pytest.fixture(scope="module")
async def planned(pg: psycopg.Connection) -> dict[str, object]:
    at = datetime.now(UTC)
    shop = seed(pg, "Supplier shop", variants=30, random_seed=11)
    other = seed(pg, "Other supplier shop", variants=10, random_seed=12)
    await plan_now(shop.shop_id, at)
    return {"shop": shop, "other": other, "at": at}


def _shop(planned: dict[str, object], which: str = "shop") -> SeededShop:
    return planned[which]  # type: ignore[return-value]


@pytest.fixture
async def client(api: httpx.AsyncClient, make_user, planned) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    user, password = make_user(shops={_shop(planned).shop_id: "manager"})
    await login(api, user.email, password)
    return api


def _url(planned: dict[str, object], which: str = "shop") -> str:
    return f"/api/shops/{_shop(planned, which).shop_id}/suppliers"


async def _new_supplier(client: httpx.AsyncClient, planned, name: str, **extra: object) -> dict:  # type: ignore[no-untyped-def, type-arg]
    response = await client.post(_url(planned), json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_suppliers_crud_and_conflicts(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    made = await _new_supplier(
        client,
        planned,
        "Dřevo s.r.o.",
        email="objednavky@drevo.example",
        lead_time_days="12.5",
        lead_time_sd_days="3",
        order_cost="150",
    )
    assert made["name"] == "Dřevo s.r.o." and made["offers"] == 0
    assert Decimal(made["lead_time_days"]) == Decimal("12.5") and made["currency"] == "CZK"
    url = f"{_url(planned)}/{made['id']}"
    assert (await client.get(url)).json() == made
    listed = (await client.get(_url(planned))).json()["items"]
    assert made["id"] in [s["id"] for s in listed]

    again = assert_problem(await client.post(_url(planned), json={"name": "Dřevo s.r.o."}), 409)
    assert "name" in str(again["detail"])
    changed = await client.patch(url, json={"lead_time_sd_days": "4", "email": None})
    assert changed.status_code == 200, changed.text
    assert Decimal(changed.json()["lead_time_sd_days"]) == 4 and changed.json()["email"] is None
    assert Decimal(changed.json()["lead_time_days"]) == Decimal("12.5")  # untouched
    for body, field in [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "X", "email": "not-an-address"}, "email"),
        ({"name": "X", "lead_time_days": "-1"}, "lead_time_days"),
        ({"name": "X", "currency": "czk"}, "currency"),
    ]:
        problem = assert_problem(await client.post(_url(planned), json=body), 422)
        assert field in str(problem["detail"]), (body, problem)
    assert "name" in str(
        assert_problem(await client.patch(url, json={"name": None}), 422)["detail"]
    )

    # another shop's supplier is not found through this shop, nor its paths
    [(theirs,)] = rows(
        pg, "SELECT min(id) FROM suppliers WHERE shop_id = %s", _shop(planned, "other").shop_id
    )
    assert_problem(await client.get(f"{_url(planned)}/{theirs}"), 404)
    assert_problem(await client.patch(f"{_url(planned)}/{theirs}", json={"name": "mine"}), 404)
    assert_problem(await client.delete(f"{_url(planned)}/{theirs}"), 404)
    assert_problem(await client.get(_url(planned, "other")), 404)

    # an open purchase order keeps its supplier; once cancelled, the supplier can go
    code = _shop(planned).sim.codes[0]
    order = await client.post(
        f"/api/shops/{_shop(planned).shop_id}/purchase-orders",
        json={"supplier_id": made["id"], "lines": [{"variant_code": code, "quantity": "2"}]},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["items"][0]["id"]
    blocked = assert_problem(await client.delete(url), 409)
    assert blocked["purchase_order_ids"] == [order_id]
    cancel = f"/api/shops/{_shop(planned).shop_id}/purchase-orders/{order_id}/cancel"
    assert (await client.post(cancel)).status_code == 200
    assert (await client.delete(url)).status_code == 204
    assert_problem(await client.get(url), 404)


async def test_offers_per_variant_with_price_breaks_and_lead_time(
    client: httpx.AsyncClient, planned
) -> None:  # type: ignore[no-untyped-def]
    supplier = await _new_supplier(client, planned, "Offers Ltd", lead_time_days="9")
    code = _shop(planned).sim.codes[1]
    url = f"{_url(planned)}/{supplier['id']}/offers"
    body = {
        "unit_price": "95.50",
        "moq": "10",
        "pack_size": "6",
        "price_breaks": [
            {"min_quantity": "100", "unit_price": "85"},
            {"min_quantity": "50", "unit_price": "90"},
        ],
        "lead_time_days": "14",
        "lead_time_sd_days": "2.5",
    }
    put = await client.put(f"{url}/{quote(code, safe='')}", json=body)
    assert put.status_code == 200, put.text
    offer = put.json()
    assert [Decimal(b["min_quantity"]) for b in offer["price_breaks"]] == [50, 100]  # sorted
    assert Decimal(offer["lead_time_days"]) == 14 and Decimal(offer["moq"]) == 10
    replaced = await client.put(f"{url}/{quote(code, safe='')}", json={"unit_price": "99"})
    assert replaced.json()["price_breaks"] == [] and replaced.json()["lead_time_days"] is None
    listed = (await client.get(url)).json()
    assert [o["variant_code"] for o in listed["items"]] == [code]
    assert (await client.get(f"{_url(planned)}/{supplier['id']}")).json()["offers"] == 1

    for bad, field in [
        ({"unit_price": "0"}, "unit_price"),
        ({"unit_price": "1.234"}, "unit_price"),
        ({"unit_price": "5", "pack_size": "0"}, "pack_size"),
        ({"unit_price": "5", "lead_time_days": "-2"}, "lead_time_days"),
        (
            {
                "unit_price": "5",
                "price_breaks": [
                    {"min_quantity": "10", "unit_price": "4"},
                    {"min_quantity": "10", "unit_price": "3"},
                ],
            },
            "price_breaks",
        ),
    ]:
        problem = assert_problem(await client.put(f"{url}/{quote(code, safe='')}", json=bad), 422)
        assert field in str(problem["detail"]), (bad, problem)
    unknown = assert_problem(await client.put(f"{url}/NO-SUCH", json={"unit_price": "5"}), 422)
    assert "variant_code" in str(unknown["detail"])
    assert (await client.delete(f"{url}/{quote(code, safe='')}")).status_code == 204
    assert_problem(await client.delete(f"{url}/{quote(code, safe='')}"), 404)


async def test_viewers_read_suppliers_but_cannot_change_them(
    api: httpx.AsyncClient, make_user, planned
) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user(shops={_shop(planned).shop_id: "viewer"})
    await login(api, user.email, password)
    assert (await api.get(_url(planned))).status_code == 200
    assert_problem(await api.post(_url(planned), json={"name": "Nope"}), 403)
    assert_problem(
        await api.post(f"{_url(planned)}/offers/import", content=b"supplier,variant_code\n"), 403
    )


async def test_csv_import_keeps_good_rows_and_reports_bad_ones(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(planned)
    supplier = await _new_supplier(client, planned, "Import a.s.")
    a, b, c = shop.sim.codes[2], shop.sim.codes[3], shop.sim.codes[4]
    # semicolons and decimal commas, as a Czech spreadsheet saves it
    content = "\n".join(
        [
            "supplier;variant_code;unit_price;moq;pack_size;price_breaks;lead_time_days;lead_time_sd_days",
            f"Import a.s.;{a};95,50;10;6;50:90|100:85;12;3",  # line 2: good
            f"Import a.s.;{b};abc;;;;;",  # 3: price not a number
            f"Nobody;{b};10;;;;;",  # 4: unknown supplier
            f"import A.S.;{b};10;;;;;",  # 5: good (names match case-insensitively)
            "Import a.s.;NO-SUCH;10;;;;;",  # 6: unknown variant
            f"Import a.s.;{c};10;;0;;;",  # 7: pack size 0
            f"Import a.s.;{a};11;;;;;",  # 8: duplicate of line 2
            "",
            f"Import a.s.;{c};12;;;10:x;;",  # 10: bad price break
        ]
    )
    response = await client.post(
        f"{_url(planned)}/offers/import",
        content=content.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["imported"], result["created"], result["updated"]) == (2, 2, 0)
    assert [r["row"] for r in result["rejected"]] == [3, 4, 6, 7, 8, 10]
    reasons = {r["row"]: r["reason"] for r in result["rejected"]}
    assert "unit_price" in reasons[3] and "Nobody" in reasons[4]
    assert "NO-SUCH" in reasons[6] and "pack_size" in reasons[7]
    assert "line 2" in reasons[8] and "price_breaks" in reasons[10]
    stored = rows(
        pg,
        "SELECT variant_code, unit_price, moq, pack_size, price_breaks, lead_time_days "
        "FROM supplier_offers WHERE supplier_id = %s ORDER BY variant_code",
        supplier["id"],
    )
    assert stored == sorted(
        [
            (
                a,
                Decimal("95.50"),
                Decimal(10),
                Decimal(6),
                [[50.0, 90.0], [100.0, 85.0]],
                Decimal(12),
            ),
            (b, Decimal(10), None, None, None, None),
        ]
    )
    # the same file again updates instead of duplicating
    again = (await client.post(f"{_url(planned)}/offers/import", content=content.encode())).json()
    assert (again["created"], again["updated"]) == (0, 2)

    for body, status in [
        (b"", 422),
        (b"variant_code,unit_price\nX,1\n", 422),  # no supplier column
        ("supplier,variant_code,unit_price\n".encode("utf-16"), 422),
    ]:
        problem = assert_problem(
            await client.post(f"{_url(planned)}/offers/import", content=body), status
        )
        assert problem["detail"]


async def test_purchase_orders_need_a_supplier(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(planned)
    url = f"/api/shops/{shop.shop_id}/purchase-orders"
    supplierless = [
        r[0]
        for r in rows(
            pg,
            "SELECT id FROM inventory_recommendations WHERE shop_id = %s AND supplier_id IS NULL",
            shop.shop_id,
        )
    ]
    assert supplierless, "every tenth seeded variant has no offer"
    problem = assert_problem(await client.post(url, json={"recommendation_ids": supplierless}), 422)
    assert problem["recommendation_ids"] == sorted(supplierless)
    assert "Suppliers" in str(problem["detail"])
    manual = {"lines": [{"variant_code": shop.sim.codes[0], "quantity": "1"}]}
    assert "supplier_id" in str(assert_problem(await client.post(url, json=manual), 422)["detail"])
    [(count,)] = rows(
        pg,
        "SELECT count(*) FROM purchase_order_lines WHERE recommendation_id = ANY(%s)",
        supplierless,
    )
    assert count == 0


async def test_purchase_order_as_pdf_and_csv(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(planned)
    supplier = await _new_supplier(client, planned, "Žluťoučký kůň s.r.o.", email="kun@example.com")
    a, b = shop.sim.codes[5], shop.sim.codes[6]
    created = await client.post(
        f"/api/shops/{shop.shop_id}/purchase-orders",
        json={
            "supplier_id": supplier["id"],
            "lines": [
                {"variant_code": a, "quantity": "12", "unit_price": "95.5"},
                {"variant_code": b, "quantity": "3"},
            ],
            "note": "Dodat do skladu B",
        },
    )
    order = created.json()["items"][0]
    assert order["supplier_email"] == "kun@example.com"
    base = f"/api/shops/{shop.shop_id}/purchase-orders/{order['id']}"

    as_csv = await client.get(f"{base}/csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert f"purchase-order-{order['id']}.csv" in as_csv.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [
        (r["variant_code"], r["quantity"], r["unit_price"], r["line_total"]) for r in table
    ] == [
        (a, "12.000", "95.5000", "1146.00"),
        (b, "3.000", "", ""),
    ]
    assert {r["supplier"] for r in table} == {"Žluťoučký kůň s.r.o."}

    pdf = await client.get(f"{base}/pdf", params={"lang": "cs"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    text = _pdf_text(pdf.content)
    for expected in (f"PO-{order['id']}", "Objednávka", "Žluťoučký kůň", a, b, "1 146.00 CZK"):
        assert expected in text, (expected, text[:500])
    english = _pdf_text((await client.get(f"{base}/pdf", params={"lang": "en"})).content)
    assert "Purchase order" in english and "Dodat do skladu B" in english
    assert_problem(await client.get(f"{base}/pdf", params={"lang": "de"}), 422)
    assert_problem(await client.get(f"/api/shops/{shop.shop_id}/purchase-orders/999999/pdf"), 404)


def _pdf_text(content: bytes) -> str:
    """The text as a PDF reader extracts it (the font's Unicode map included)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_a_new_offer_names_its_supplier_in_the_next_plan(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(planned)
    before = rows(
        pg,
        "SELECT variant_code FROM inventory_recommendations WHERE shop_id = %s "
        "AND supplier_id IS NULL ORDER BY variant_code",
        shop.shop_id,
    )
    assert before
    code = before[0][0]
    supplier = await _new_supplier(client, planned, "Late comer", lead_time_days="5")
    put = await client.put(
        f"{_url(planned)}/{supplier['id']}/offers/{quote(code, safe='')}",
        json={"unit_price": "10", "lead_time_days": "4", "lead_time_sd_days": "1"},
    )
    assert put.status_code == 200, put.text
    await plan_now(shop.shop_id, planned["at"])  # type: ignore[arg-type]
    after = rows(
        pg,
        "SELECT supplier_id, supplier_name, note, lead_time_days FROM inventory_recommendations "
        "WHERE shop_id = %s AND variant_code = %s",
        shop.shop_id,
        code,
    )
    assert after and all(r[0] == supplier["id"] and r[1] == "Late comer" for r in after), after
    assert all(r[2] is None or "no supplier" not in r[2] for r in after)
    assert {float(r[3]) for r in after} == {4.0}  # the offer's own lead time, not the supplier's


async def test_forecast_of_a_code_with_a_slash(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(planned)
    source = shop.sim.codes[7]
    with pg.cursor() as cur:  # the same variant under a Shoptet-style code
        cur.execute(
            "INSERT INTO variants (shop_id, code, product_guid, name) SELECT shop_id, %s, "
            "product_guid, 'Tričko M modré' FROM variants WHERE shop_id = %s AND code = %s",
            (SLASHED, shop.shop_id, source),
        )
        for table in ("inventory_variant_metrics", "inventory_forecasts"):
            columns = [
                r[0]
                for r in cur.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "AND column_name NOT IN ('variant_code', 'id') ORDER BY ordinal_position",
                    (table,),
                ).fetchall()
            ]
            listed = ", ".join(columns)
            cur.execute(
                f"INSERT INTO {table} (variant_code, {listed}) SELECT %s, {listed} FROM {table} "
                "WHERE shop_id = %s AND variant_code = %s",
                (SLASHED, shop.shop_id, source),
            )
    pg.commit()
    base = f"/api/shops/{shop.shop_id}/inventory/variants"
    response = await client.get(f"{base}/{quote(SLASHED, safe='')}/forecast")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["variant_code"] == SLASHED and body["variant_name"] == "Tričko M modré"
    assert body["forecast"] and body["history"]
    on_hand = body["metrics"]["on_hand"]
    if body["stockout_day"] is not None:  # on hand less the cumulative forecast reaches 0 there
        left = float(on_hand)
        for point in body["forecast"]:
            left -= point["mean"]
            if left <= 0:
                assert point["day"] == body["stockout_day"]
                break
    unknown = assert_problem(await client.get(f"{base}/{quote('NO/SUCH', safe='')}/forecast"), 404)
    assert "NO/SUCH" in str(unknown["detail"])


def test_pdf_without_a_unicode_font_drops_accents_but_renders(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from api.services.inventory import purchase_order_documents as documents

    monkeypatch.setattr(documents, "FONT_CANDIDATES", ())
    monkeypatch.delenv("SHOPOPS_PDF_FONT", raising=False)
    from api.services.inventory.purchase_orders import PurchaseOrderLineOut, PurchaseOrderOut

    order = PurchaseOrderOut(
        id=7,
        supplier_id=1,
        supplier_name="Žluťoučký kůň",
        supplier_email=None,
        status="open",
        currency="CZK",
        note=None,
        created_by=None,
        ordered_at=datetime(2026, 12, 1, tzinfo=UTC),
        expected_at=None,
        received_at=None,
        cancelled_at=None,
        lines=[
            PurchaseOrderLineOut(
                id=1,
                variant_code="A/1",
                variant_name="Čaj",
                quantity=Decimal(2),
                received_quantity=Decimal(0),
                unit_price=Decimal(5),
                recommendation_id=None,
            )
        ],
        total_quantity=Decimal(2),
        received_quantity=Decimal(0),
        total_cost=Decimal("10.00"),
    )
    text = _pdf_text(documents.order_pdf(order, "Obchod", "cs"))
    assert "PO-7" in text and "Zlutoucky kun" in text and "Objednavka" in text
