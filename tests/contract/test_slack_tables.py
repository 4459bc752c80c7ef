"""Our migrated Slack installation tables match what slack_sdk's SQLAlchemy stores query."""

from __future__ import annotations

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table

from storage.slack_tables import slack_bots, slack_installations, slack_oauth_states


def _shape(table: Table) -> dict[str, tuple[str, bool]]:
    return {c.name: (str(c.type), bool(c.nullable)) for c in table.columns}


@pytest.mark.parametrize(
    ("ours", "build"),
    [
        (
            slack_installations,
            lambda m: SQLAlchemyInstallationStore.build_installations_table(
                m, "slack_installations"
            ),
        ),
        (slack_bots, lambda m: SQLAlchemyInstallationStore.build_bots_table(m, "slack_bots")),
        (
            slack_oauth_states,
            lambda m: SQLAlchemyOAuthStateStore.build_oauth_states_table(m, "slack_oauth_states"),
        ),
    ],
    ids=["installations", "bots", "oauth_states"],
)
def test_tables_match_slack_sdk(ours: Table, build: object) -> None:
    theirs = build(MetaData())  # type: ignore[operator]
    assert _shape(ours) == _shape(theirs)
