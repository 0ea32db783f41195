"""Re-encrypt every encrypted column with the first key of ENCRYPTION_KEYS (`shopops rotate-keys`).

The columns are found by type (`EncryptedText`) on the models' metadata, so a secret column
added later is rotated without touching this file. Ciphertexts are rotated as they are
(MultiFernet.rotate), never decrypted into Python objects of the model; one transaction, so a
failure leaves every row as it was.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from sqlalchemy import Column, Connection, MetaData, Table, Text, select, type_coerce, update

from db.secrets import EncryptedText, SecretError, cipher


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, Column[str]]]:
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


def rotate_all(conn: Connection, batch: int = 500) -> dict[str, int]:
    """Rows re-encrypted per `table.column`; raises SecretError naming the first row no key opens."""
    from db.models import Base

    fernet = cipher()
    counts: dict[str, int] = {}
    for table, column in encrypted_columns(Base.metadata):
        key = list(table.primary_key.columns)
        raw = type_coerce(column, Text)
        query = select(*key, raw.label("ciphertext")).where(column.is_not(None))
        done = 0
        for row in conn.execute(query.execution_options(yield_per=batch)).all():
            try:
                rotated = fernet.rotate(row.ciphertext.encode()).decode()
            except InvalidToken as exc:
                where = ", ".join(f"{c.name}={getattr(row, c.name)}" for c in key)
                raise SecretError(
                    f"{table.name}.{column.name} of row {where} opens with none of ENCRYPTION_KEYS: "
                    "add the key it was written with (after the new one) and run again"
                ) from exc
            conn.execute(
                update(table)
                .where(*(c == getattr(row, c.name) for c in key))
                .values({column.name: type_coerce(rotated, Text)})
            )
            done += 1
        counts[f"{table.name}.{column.name}"] = done
    return counts
