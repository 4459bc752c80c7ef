"""The SQL Repository's interest matches (the trends picture's data) and the counts the
instant alerts and personal digests need. One short transaction per call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from digest.models import Match
from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from storage.sql_deliveries import SqlDeliveries
from storage.tables import DeliveryRow, DigestRunRow, InterestMatchRow

__all__ = ["SqlMatches"]

_CHUNK = 500  # keys per IN (...) list


class SqlMatches(SqlDeliveries):
    """The MatchRepository part of ``SqlRepository``."""

    def record_matches(self, channel_id: int, matches: Sequence[Match]) -> int:
        unique = {(m.interest, m.paper_key): m for m in matches}
        if not unique:
            return 0

        def write(session: Session) -> int:
            keys = sorted({paper for _, paper in unique})
            have: set[tuple[str, str]] = set()
            for start in range(0, len(keys), _CHUNK):
                query = select(InterestMatchRow.interest, InterestMatchRow.paper_key).where(
                    InterestMatchRow.channel_id == channel_id,
                    col(InterestMatchRow.paper_key).in_(keys[start : start + _CHUNK]),
                )
                have.update((interest, paper) for interest, paper in session.exec(query))
            fresh = [m for k, m in unique.items() if k not in have]
            session.add_all(
                InterestMatchRow(
                    channel_id=channel_id, interest=m.interest, paper_key=m.paper_key, day=m.day
                )
                for m in fresh
            )
            return len(fresh)

        # Two writers recording the same match: the retry sees the other's rows.
        return self._retrying_conflicts(write)

    def list_matches(self, channel_id: int, *, since: date) -> list[Match]:
        query = (
            select(InterestMatchRow)
            .where(InterestMatchRow.channel_id == channel_id, col(InterestMatchRow.day) >= since)
            .order_by(col(InterestMatchRow.day), col(InterestMatchRow.id))
        )
        with self._session() as session:
            return [
                Match(interest=row.interest, paper_key=row.paper_key, day=row.day)
                for row in session.exec(query)
            ]

    def count_runs(self, channel_id: int, *, kind: str, since: datetime) -> int:
        query = select_columns(func.count()).where(
            col(DigestRunRow.channel_id) == channel_id,
            col(DigestRunRow.kind) == kind,
            col(DigestRunRow.started_at) >= since,
        )
        with self._session() as session:
            return int(session.execute(query).scalar_one())

    def delivered_since(self, channel_ids: Sequence[int], since: datetime) -> set[str]:
        if not channel_ids:
            return set()
        query = (
            select_columns(col(DeliveryRow.paper_key))
            .join(DigestRunRow, col(DigestRunRow.id) == DeliveryRow.run_id)
            .where(
                col(DeliveryRow.channel_id).in_(list(channel_ids)),
                col(DeliveryRow.status) != "failed",
                col(DigestRunRow.started_at) >= since,
            )
        )
        with self._session() as session:
            return {str(key) for key in session.execute(query).scalars()}
