"""The OpenSearch search backend: the same contract as `PostgresSearch`, for very large tenants.

Documents go in through `_bulk` (refresh=wait_for, so a search right after an index sees them);
a search is one bool query: every word must prefix-match the title, short fields or body
(`multi_match` of type `bool_prefix`, title boosted), or the short fields match with edit
distance (`fuzziness: AUTO`); facets are aggregations over the same query. The index folds
diacritics with `asciifolding`, as `shopops_cs` does with `unaccent`.

Tested against the in-repo fake (infra/opensearch), which implements only the query DSL this
adapter sends, not against a real cluster.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import orjson

from db.search.types import (
    PRICE_BUCKETS,
    FacetCount,
    Facets,
    Kind,
    SearchDocument,
    SearchHit,
    SearchQuery,
    price_bucket,
)

CANDIDATES = 1000  # the hit set facets are counted over, as in PostgresSearch
FIELDS = ("title^3", "keys^2", "body")
MAPPING: dict[str, Any] = {
    "settings": {
        "analysis": {
            "analyzer": {
                "folded": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}
            }
        }
    },
    "mappings": {
        "properties": {
            "shop_id": {"type": "long"},
            "kind": {"type": "keyword"},
            "ref": {"type": "keyword"},
            "code": {"type": "keyword"},
            "title": {"type": "text", "analyzer": "folded",
                      "fields": {"keyword": {"type": "keyword"}}},
            "subtitle": {"type": "text", "analyzer": "folded"},
            "body": {"type": "text", "analyzer": "folded"},
            "keys": {"type": "text", "analyzer": "folded"},
            "status": {"type": "keyword"},
            "category": {"type": "keyword"},
            "brand": {"type": "keyword"},
            "price": {"type": "scaled_float", "scaling_factor": 100},
        }
    },
}


def _id(shop_id: int, kind: str, ref: str) -> str:
    return f"{shop_id}:{kind}:{ref}"


class OpenSearchSearch:
    """Talks to one index over HTTP; `client` carries the base URL (and auth, if any)."""

    def __init__(self, client: httpx.AsyncClient, index: str = "shopops-search") -> None:
        self.client, self.index_name = client, index

    async def ensure_index(self) -> None:
        """Create the index with the folding analyzer unless it exists."""
        if (await self.client.head(f"/{self.index_name}")).status_code == 404:
            response = await self.client.put(f"/{self.index_name}", json=MAPPING)
            response.raise_for_status()

    async def _bulk(self, lines: list[dict[str, Any]]) -> None:
        body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
        response = await self.client.post(
            "/_bulk", params={"refresh": "wait_for"}, content=body,
            headers={"content-type": "application/x-ndjson"},
        )
        response.raise_for_status()
        if response.json().get("errors"):
            raise RuntimeError(f"OpenSearch refused part of a bulk request: {response.text[:500]}")

    async def index(self, documents: list[SearchDocument]) -> None:
        lines: list[dict[str, Any]] = []
        for d in documents:
            lines.append({"index": {"_index": self.index_name, "_id": _id(d.shop_id, d.kind, d.ref)}})
            lines.append(d.model_dump(mode="json"))
        if lines:
            await self._bulk(lines)

    async def delete(self, shop_id: int, kind: Kind, refs: list[str]) -> None:
        lines = [{"delete": {"_index": self.index_name, "_id": _id(shop_id, kind, r)}} for r in refs]
        if lines:
            await self._bulk(lines)

    def _query(self, query: SearchQuery) -> dict[str, Any]:
        filters: list[dict[str, Any]] = [{"terms": {"kind": list(query.kinds)}}]
        if query.shop_ids is not None:
            filters.append({"terms": {"shop_id": query.shop_ids}})
        for name in ("status", "category", "brand"):
            value = getattr(query, name)
            if value is not None:
                filters.append({"term": {name: value}})
        return {
            "bool": {
                "filter": filters,
                "should": [
                    {"multi_match": {"query": query.text, "type": "bool_prefix",
                                     "fields": list(FIELDS), "operator": "and"}},
                    {"match": {"keys": {"query": query.text, "fuzziness": "AUTO", "boost": 0.5}}},
                ],
                "minimum_should_match": 1,
            }
        }

    async def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"/{self.index_name}/_search", json=body)
        response.raise_for_status()
        return response.json()

    async def search(self, query: SearchQuery) -> list[SearchHit]:
        if not query.text.strip():
            return []
        found = await self._search({
            "size": query.limit,
            "query": self._query(query),
            "sort": [{"_score": "desc"}, {"title.keyword": "asc"}, {"ref": "asc"}],
            "highlight": {"pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                          "fields": {"title": {"number_of_fragments": 0}}},
        })
        hits = []
        for h in found["hits"]["hits"]:
            s = h["_source"]
            hits.append(SearchHit(
                shop_id=s["shop_id"], kind=s["kind"], ref=s["ref"], title=s["title"], code=s.get("code"),
                subtitle=s.get("subtitle"), status=s.get("status"),
                price=None if s.get("price") is None else Decimal(str(s["price"])),
                score=float(h["_score"]),
                highlight=(h.get("highlight", {}).get("title") or [s["title"]])[0],
            ))
        return hits

    async def facets(self, query: SearchQuery) -> Facets:
        if not query.text.strip():
            return Facets()
        edges = (0, *PRICE_BUCKETS)
        ranges = [{"from": edges[i], "to": edges[i + 1]} for i in range(len(PRICE_BUCKETS))]
        ranges.append({"from": PRICE_BUCKETS[-1]})
        found = await self._search({
            "size": 0,
            "query": self._query(query),
            "aggs": {
                "sample": {
                    "sampler": {"shard_size": CANDIDATES},
                    "aggs": {
                        **{n: {"terms": {"field": n, "size": 50}}
                           for n in ("kind", "status", "category", "brand")},
                        "price": {"range": {"field": "price", "ranges": ranges}},
                    },
                }
            },
        })
        aggs = found["aggregations"]["sample"]
        facets = Facets()
        for name in ("kind", "status", "category", "brand"):
            setattr(facets, name, sorted(
                (FacetCount(value=str(b["key"]), count=b["doc_count"]) for b in aggs[name]["buckets"]),
                key=lambda c: (-c.count, c.value),
            ))
        facets.price = [
            FacetCount(value=price_bucket(Decimal(str(b["from"]))) or "", count=b["doc_count"])
            for b in aggs["price"]["buckets"] if b["doc_count"]
        ]
        return facets
