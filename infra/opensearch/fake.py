"""An in-memory OpenSearch that answers exactly what `db.search.opensearch` asks.

Implements: HEAD/PUT an index, `_bulk` (index, delete), and `_search` with a `bool` query of
`term`/`terms` filters and `should` clauses of `multi_match` (type `bool_prefix`, operator
`and`, boosted fields) and `match` with `fuzziness: AUTO`; sort by score then fields;
`highlight` of whole fields; `sampler` aggregations of `terms` and `range`. Text is analysed
like the adapter's `folded` analyzer (lower-case, diacritics folded, split at non-word
characters). Scores follow the DSL's shape (boosts, best field), not Lucene's BM25 numbers.
Anything else is a 400, so the adapter cannot start relying on DSL the fake does not check.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(value: Any) -> list[str]:
    return WORD.findall(fold(str(value))) if value is not None else []


def _distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _auto(term: str) -> int:
    return 0 if len(term) <= 2 else 1 if len(term) <= 5 else 2


class BadQuery(Exception):
    pass


def _field(spec: str) -> tuple[str, float]:
    name, _, boost = spec.partition("^")
    return name, float(boost or 1)


def _multi_match(doc: dict[str, Any], clause: dict[str, Any]) -> float:
    if clause.get("type") != "bool_prefix" or clause.get("operator") != "and":
        raise BadQuery(f"multi_match supported only as bool_prefix with operator and: {clause}")
    words = tokens(clause["query"])
    if not words:
        return 0.0
    best = 0.0
    for spec in clause["fields"]:
        name, boost = _field(spec)
        have = tokens(doc.get(name))
        whole, last = words[:-1], words[-1]
        if all(w in have for w in whole) and any(h.startswith(last) for h in have):
            best = max(best, boost * len(words))
    return best


def _match(doc: dict[str, Any], clause: dict[str, Any]) -> float:
    ((name, spec),) = clause.items()
    if spec.get("fuzziness") != "AUTO":
        raise BadQuery(f"match supported only with fuzziness AUTO: {clause}")
    words, have = tokens(spec["query"]), tokens(doc.get(name))
    if not words:
        return 0.0
    matched = sum(1 for w in words if any(_distance(w, h) <= _auto(w) for h in have))
    return float(spec.get("boost", 1)) * matched / len(words)


def _filter(doc: dict[str, Any], clause: dict[str, Any]) -> bool:
    ((op, spec),) = clause.items()
    ((name, value),) = spec.items()
    if op == "term":
        return doc.get(name) == value
    if op == "terms":
        return doc.get(name) in value
    raise BadQuery(f"filter {op} is not supported")


def score(doc: dict[str, Any], query: dict[str, Any]) -> float | None:
    """The document's score, or None when it does not match."""
    ((kind, spec),) = query.items()
    if kind != "bool":
        raise BadQuery(f"query {kind} is not supported")
    if not all(_filter(doc, f) for f in spec.get("filter", [])):
        return None
    total, matched = 0.0, 0
    for clause in spec.get("should", []):
        ((name, body),) = clause.items()
        if name == "multi_match":
            value = _multi_match(doc, body)
        elif name == "match":
            value = _match(doc, body)
        else:
            raise BadQuery(f"should clause {name} is not supported")
        if value > 0:
            total, matched = total + value, matched + 1
    return total if matched >= int(spec.get("minimum_should_match", 1)) else None


def _highlight(text: str, words: list[str], pre: str, post: str) -> str:
    def mark(m: re.Match[str]) -> str:
        folded = fold(m.group(0))
        return f"{pre}{m.group(0)}{post}" if any(folded.startswith(w) for w in words) else m.group(0)

    return WORD.sub(mark, text)


def _aggregate(docs: list[dict[str, Any]], aggs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in aggs.items():
        if "sampler" in spec:
            sample = docs[: int(spec["sampler"]["shard_size"])]
            out[name] = {"doc_count": len(sample), **_aggregate(sample, spec.get("aggs", {}))}
        elif "terms" in spec:
            counts: dict[Any, int] = {}
            for d in docs:
                value = d.get(spec["terms"]["field"])
                if value is not None:
                    counts[value] = counts.get(value, 0) + 1
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
            out[name] = {"buckets": [{"key": k, "doc_count": n} for k, n in ordered[: spec["terms"].get("size", 10)]]}
        elif "range" in spec:
            field = spec["range"]["field"]
            buckets = []
            for r in spec["range"]["ranges"]:
                n = sum(
                    1 for d in docs if d.get(field) is not None
                    and float(d[field]) >= r.get("from", float("-inf"))
                    and float(d[field]) < r.get("to", float("inf"))
                )
                buckets.append({**r, "doc_count": n})
            out[name] = {"buckets": buckets}
        else:
            raise BadQuery(f"aggregation {name} is not supported")
    return out


def create_app() -> Starlette:
    indices: dict[str, dict[str, dict[str, Any]]] = {}

    async def index_exists(request: Request) -> Response:
        return Response(status_code=200 if request.path_params["index"] in indices else 404)

    async def create_index(request: Request) -> Response:
        indices.setdefault(request.path_params["index"], {})
        return JSONResponse({"acknowledged": True})

    async def bulk(request: Request) -> Response:
        lines = [orjson.loads(line) for line in (await request.body()).splitlines() if line.strip()]
        items, errors, i = [], False, 0
        while i < len(lines):
            ((action, meta),) = lines[i].items()
            store = indices.setdefault(meta["_index"], {})
            if action == "index":
                store[meta["_id"]] = lines[i + 1]
                items.append({"index": {"_id": meta["_id"], "status": 201}})
                i += 2
            elif action == "delete":
                found = store.pop(meta["_id"], None) is not None
                items.append({"delete": {"_id": meta["_id"], "status": 200 if found else 404}})
                i += 1
            else:
                errors = True
                items.append({action: {"status": 400, "error": f"{action} is not supported"}})
                i += 1
        return JSONResponse({"errors": errors, "items": items})

    async def search(request: Request) -> Response:
        name = request.path_params["index"]
        if name not in indices:
            return JSONResponse({"error": {"type": "index_not_found_exception"}}, status_code=404)
        body = orjson.loads(await request.body())
        try:
            scored = [(s, doc) for doc in indices[name].values() if (s := score(doc, body["query"])) is not None]
            sort_keys = [next(iter(k)) for k in body.get("sort", [{"_score": "desc"}])]
            for key in reversed(sort_keys):
                if key == "_score":
                    scored.sort(key=lambda sd: -sd[0])
                else:
                    field = key.removesuffix(".keyword")
                    scored.sort(key=lambda sd, f=field: str(sd[1].get(f) or ""))
            hits = []
            for s, doc in scored[: int(body.get("size", 10))]:
                hit: dict[str, Any] = {"_score": s, "_source": doc}
                if "highlight" in body:
                    hl = body["highlight"]
                    words = tokens(body["query"]["bool"]["should"][0]["multi_match"]["query"])
                    hit["highlight"] = {
                        f: [_highlight(str(doc.get(f) or ""), words, hl["pre_tags"][0], hl["post_tags"][0])]
                        for f in hl["fields"]
                    }
                hits.append(hit)
            answer: dict[str, Any] = {"hits": {"total": {"value": len(scored)}, "hits": hits}}
            if "aggs" in body:
                answer["aggregations"] = _aggregate([doc for _, doc in scored], body["aggs"])
        except BadQuery as exc:
            return JSONResponse({"error": {"type": "parsing_exception", "reason": str(exc)}}, status_code=400)
        return JSONResponse(answer)

    return Starlette(routes=[
        Route("/_bulk", bulk, methods=["POST"]),
        Route("/{index}/_search", search, methods=["POST"]),
        Route("/{index}", index_exists, methods=["HEAD"]),
        Route("/{index}", create_index, methods=["PUT"]),
    ])
