"""search: a per-shop vocabulary for bounded prefix and typo queries, and a prefix index on codes

A prefix (`'kab':*`) makes GIN collect and merge the posting lists of every lexeme starting so,
and two such words in one query cost hundreds of milliseconds on a million documents; a
trigram scan of the short fields for a typo costs as much. `search_words` holds each shop's
lexemes without digits (from `search_documents.document`, kept by statement triggers with
transition tables, so the writers are unchanged): the query side expands a typed prefix to the
few whole words it stands for (exact GIN entries, which GIN intersects cheaply) and corrects a
typo against the vocabulary's trigram index (a small table) instead of the documents'.
`ix_search_documents_code` (shop first, folded code, `text_pattern_ops`) answers partial SKUs
and order codes ("BOH-0", "2025001") by a bounded btree range scan. The full-text GIN index is
split by kind (partial indexes), so each kind's candidates are read from its own postings. Words are never deleted
with their documents: a stale word only expands to a lexeme that finds nothing.

Retention, signed export links and the report backfill need no schema change (README).

Revision ID: 1900
Revises: 1800
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1900"
down_revision: str | None = "1800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("product", "order", "customer")
WORDS_OF = (
    "SELECT DISTINCT n.shop_id, w.word FROM {source} n, "
    "unnest(tsvector_to_array(n.document)) AS w(word) WHERE w.word !~ '[0-9]'"
)


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE search_words (
            shop_id bigint NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
            word text COLLATE "C" NOT NULL,
            PRIMARY KEY (shop_id, word)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)"
    )
    op.execute(
        f"""
        CREATE FUNCTION shopops_search_words_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO search_words (shop_id, word)
            {WORDS_OF.format(source="new_documents")}
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$
        """
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER search_words_on_{event.lower()} AFTER {event} ON search_documents "
            "REFERENCING NEW TABLE AS new_documents FOR EACH STATEMENT "
            "EXECUTE FUNCTION shopops_search_words_add()"
        )
    op.execute(
        f"INSERT INTO search_words (shop_id, word) {WORDS_OF.format(source='search_documents')} "
        "ON CONFLICT DO NOTHING"
    )
    op.execute(
        "CREATE INDEX ix_search_documents_code ON search_documents "
        "(shop_id, shopops_fold(code) text_pattern_ops) WHERE code IS NOT NULL"
    )
    # one full-text index per kind: each kind's candidates come from its own, smaller posting
    # lists (a search box groups its results by kind), for the price of the one index before
    for kind in KINDS:
        op.execute(
            f"CREATE INDEX ix_search_documents_{kind} ON search_documents USING gin (document) "
            f"WHERE kind = '{kind}'"
        )
    op.execute("DROP INDEX ix_search_documents_document")


def downgrade() -> None:
    op.execute("CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)")
    for kind in KINDS:
        op.execute(f"DROP INDEX ix_search_documents_{kind}")
    op.execute("DROP INDEX ix_search_documents_code")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER search_words_on_{event} ON search_documents")
    op.execute("DROP FUNCTION shopops_search_words_add()")
    op.execute("DROP TABLE search_words")
