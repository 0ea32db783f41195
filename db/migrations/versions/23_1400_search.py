"""search: one document per product, order and customer, searchable without diacritics

PostgreSQL 15 has no Czech stemmer, so `shopops_cs` is the `simple` configuration behind the
`unaccent` dictionary: "zlutoucky kun" and "Žluťoučký kůň" make the same lexemes. Documents
live in their own table, refreshed per ingest batch, so the partitioned `orders` table (whose
COPY speed matters most) carries no search index of its own beyond the one of revision 0201.
`keys` holds the short fields (codes, EANs, e-mails, phones, names) folded to lower-case ASCII,
with a trigram index for typos and partial SKUs (`<%`, word similarity), never over long text.

Revision ID: 1400
Revises: 1300
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1400"
down_revision: str | None = "1300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE TEXT SEARCH CONFIGURATION shopops_cs (COPY = simple)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION shopops_cs ALTER MAPPING FOR "
        "word, hword, hword_part, asciiword, asciihword, hword_asciipart, numword, "
        "numhword, hword_numpart WITH unaccent, simple"
    )
    # unaccent() is only STABLE (it reads its dictionary by name); naming the dictionary makes
    # the result depend on the arguments alone, which is what an index expression needs
    op.execute(
        "CREATE FUNCTION shopops_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE "
        "PARALLEL SAFE RETURN lower(unaccent('unaccent'::regdictionary, coalesce(value, '')))"
    )
    # one definition of a document's lexemes for every writer: title A, short fields B, text D;
    # codes, e-mails and phones are split at - _ / @ . + so each part is a word a prefix can
    # match ("ALF-0045" -> alf, 0045; the parser would make "-0045" a signed number)
    op.execute(
        "CREATE FUNCTION shopops_search_document(title text, keys text, body text) "
        "RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN "
        "setweight(to_tsvector('shopops_cs'::regconfig, coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('shopops_cs'::regconfig, "
        "translate(coalesce(keys, ''), '-_/@.+', '      ')), 'B') || "
        "setweight(to_tsvector('shopops_cs'::regconfig, coalesce(body, '')), 'D')"
    )
    op.execute(
        """
        CREATE TABLE search_documents (
            shop_id bigint NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
            kind varchar(10) NOT NULL,
            ref varchar(100) NOT NULL,
            title text NOT NULL,
            code varchar(100),
            subtitle text,
            body text,
            status text,
            category text,
            brand text,
            price numeric(14, 2),
            keys text NOT NULL,
            document tsvector NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (shop_id, kind, ref)
        )
        """
    )
    op.execute("CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)")
    op.execute(
        "CREATE INDEX ix_search_documents_keys ON search_documents USING gin (keys gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE search_documents")
    op.execute("DROP FUNCTION shopops_search_document(text, text, text)")
    op.execute("DROP FUNCTION shopops_fold(text)")
    op.execute("DROP TEXT SEARCH CONFIGURATION shopops_cs")
