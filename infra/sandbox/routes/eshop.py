"""`GET /api/eshop`: shop info with the time zone (Europe/Prague), currency and order statuses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from infra.sandbox import czech
from infra.sandbox.envelope import ok
from infra.sandbox.generator import method_guid
from infra.sandbox.routes.common import current_shop, include_param

router = APIRouter()

ESHOP_INCLUDES = frozenset(
    {
        "orderadditionalfields",
        "orderstatuses",
        "paymentmethods",
        "shippingmethods",
        "imagecuts",
        "countries",
        "cashdesk",
    }
)


def _methods(spec: Any, kind: str, names: list[str]) -> dict[str, Any]:
    methods = [
        {"guid": method_guid(spec, kind, n), "order": n + 1, "name": name, "visible": True}
        for n, name in enumerate(names)
    ]
    default_key = "defaultPayment" if kind == "payment" else "defaultShipping"
    return {"methods": methods, default_key: methods[0]["guid"]}


@router.get("/api/eshop")
async def eshop_info(request: Request) -> Response:
    spec = current_shop(request).spec
    include = include_param(request.query_params, ESHOP_INCLUDES)
    url = spec.eshop_url.rstrip("/")
    data: dict[str, Any] = {
        "contactInformation": {
            "eshopId": spec.eshop_id,
            "eshopName": f"Obchod {spec.eshop_id}",
            "eshopCategory": "Dům a zahrada",
            "url": url,
            "eshopTitle": f"Obchod {spec.eshop_id}",
            "eshopSubtitle": "Vše pro domov",
            "contactPerson": "Jana Nováková",
            "email": f"info@shop{spec.eshop_id}.cz",
            "phone": "+420777888999",
            "mobilePhone": None,
            "skypeAccount": None,
            "contactPhotoUrl": None,
        },
        "settings": {
            "vatPayer": True,
            "cashDeskOnly": False,
            "trackStockClaims": True,
            "maxProductAmount": 500,
            "maxEmailAmount": 1000,
            "defaultPricelist": {"id": 1, "name": "Hlavní ceník"},
            "eshopLanguage": "cs",
            "timezone": "Europe/Prague",
            "dateFormat": "j.n.Y",
            "timeFormat": "H:i",
            "internals": "cs",
            "exchangeRateFlip": False,
            "negativeStockAmount": "allowed",
            "oss": False,
            "stockControlDisabled": False,
            "wholesaleSplitActive": False,
        },
        "currencies": [
            {
                "code": "CZK",
                "title": "Koruna česká",
                "isDefault": True,
                "isDefaultAdmin": True,
                "isDefaultDocuments": True,
                "isVisible": True,
                "exchangeRate": "1.00000000",
                "priority": 1,
                "display": {
                    "text": "Kč",
                    "location": "right",
                    "decimalsSeparator": ",",
                    "thousandsSeparator": " ",
                },
                "priceDecimalPlaces": 0,
                "documentPriceDecimalPlaces": 2,
                "rounding": "math",
                "minimalOrderValue": None,
                "bankAccount": {
                    "accountNumber": "19-2000145399/0800",
                    "iban": None,
                    "bic": None,
                    "ownerName": None,
                },
            }
        ],
        "taxClasses": [
            {
                "title": "Základní sazba",
                "rates": [{"zone": "Default Zone", "vatRate": "21.00"}],
                "isDefault": True,
            },
            {
                "title": "Snížená sazba",
                "rates": [{"zone": "Default Zone", "vatRate": "12.00"}],
                "isDefault": False,
            },
        ],
        "activeModules": [{"title": "Sklady", "name": "stocks"}],
        "urls": [{"ident": "admin-orders-list", "url": f"{url}/admin/prehled-objednavek"}],
    }
    if "orderstatuses" in include:
        data["orderStatuses"] = {
            "statuses": [
                {"id": sid, "order": order, "name": name, "markAsPaid": paid}
                for sid, name, order, paid in czech.ORDER_STATUSES
            ],
            "defaultStatus": -1,
        }
    if "paymentmethods" in include:
        payments = [name for name, _, _, _ in czech.PAYMENTS]
        data["paymentMethods"] = {
            "retail": _methods(spec, "payment", payments),
            "wholesale": _methods(spec, "payment", payments),
            "wholesaleActive": False,
        }
    if "shippingmethods" in include:
        shippings = [name for name, _, _ in czech.SHIPPINGS]
        data["shippingMethods"] = {
            "retail": _methods(spec, "shipping", shippings),
            "wholesale": _methods(spec, "shipping", shippings),
            "wholesaleActive": False,
        }
    return ok(request, data)
