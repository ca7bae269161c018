"""Forward-only schema migrations: one numbered list for both engines.

Each step is a plain function in STEPS, handed a `Migration`: it calls `db.script(sqlite=...,
postgres=...)` with the same tables, columns, indexes and constraints in each dialect
(PostgreSQL: BIGINT identity keys, BIGINT for INTEGER, DOUBLE PRECISION for REAL, and text that
compares byte by byte, COLLATE "C", as SQLite's does, so both engines sort alike). A step that
fixes old SQLite data does that only when `db.sqlite` is set: a PostgreSQL database is always
created from the first step, so it never holds data from before a step.

To add a step: write `def m0NN_what(db: Migration) -> None` with both forms and append it to
STEPS; never renumber or edit an applied one.

SQLite applies them through sqlite-utils' `Migrations` (built from STEPS only when something is
pending, `migrations()`: store.database checks what is applied with one query, so opening an
up-to-date file does not import sqlite-utils). PostgreSQL applies them in
store/postgres/migrate.py, recorded in its own table, under an advisory lock."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

MIGRATION_SET = "tallybot"
MIGRATIONS_TABLE = "_sqlite_migrations"
"""sqlite-utils' `Migrations.migrations_table`, which a test keeps equal."""


class Migration:
    """What a step is handed: the engine, and its statements run inside the migration's one
    transaction (never `executescript`, which would commit it first)."""

    def __init__(
        self, engine: str, execute: Callable[[str], Any], sqlite: Database | None = None
    ) -> None:
        self.engine = engine
        self.execute = execute
        self.sqlite = sqlite
        """sqlite-utils on the SQLite file (data-fixing steps), None on PostgreSQL."""

    def script(self, *, sqlite: str, postgres: str) -> None:
        """Run this engine's form of the step, one statement at a time."""
        for statement in statements(sqlite if self.engine == "sqlite" else postgres):
            self.execute(statement)


def statements(script: str) -> list[str]:
    """The `;`-separated statements of a DDL script, `--` comments left out (DDL here holds no
    `;` or `--` inside a string)."""
    bare = re.sub(r"--[^\n]*", "", script)
    return [part.strip() for part in bare.split(";") if part.strip()]


def m001_core(db: Migration) -> None:
    db.script(
        sqlite="""
        CREATE TABLE bodies (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE members (
            body TEXT NOT NULL REFERENCES bodies(slug) ON DELETE CASCADE,
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            joined TEXT NOT NULL,
            left_on TEXT,
            population INTEGER,
            aliases TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (body, code)
        );
        CREATE TABLE trackers (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            body TEXT NOT NULL REFERENCES bodies(slug),
            kind TEXT NOT NULL CHECK (kind IN ('selection', 'approval')),
            rule TEXT NOT NULL,
            opened TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'decided', 'abandoned')),
            outcome TEXT,
            closed_on TEXT,
            subject TEXT,
            stages TEXT NOT NULL DEFAULT '[]',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE candidates (
            id INTEGER PRIMARY KEY,
            tracker_id INTEGER NOT NULL REFERENCES trackers(id),
            name TEXT NOT NULL,
            withdrawn_on TEXT,
            UNIQUE (tracker_id, name)
        );
        CREATE TABLE declarations (
            id INTEGER PRIMARY KEY,
            tracker_id INTEGER NOT NULL REFERENCES trackers(id),
            member TEXT NOT NULL,
            stance TEXT NOT NULL,
            candidate_id INTEGER REFERENCES candidates(id),
            stage TEXT,
            made_on TEXT NOT NULL,
            source TEXT,
            quote TEXT,
            speaker TEXT,
            confidence TEXT NOT NULL DEFAULT 'official',
            condition TEXT,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        -- A tally reads one index seek per member: latest (made_on, id) of that member.
        CREATE INDEX declarations_position
            ON declarations (tracker_id, member, made_on, id);
        -- History pages read the newest declarations of a tracker without sorting all of them.
        CREATE INDEX declarations_timeline
            ON declarations (tracker_id, made_on, id);
        CREATE TABLE retractions (
            declaration_id INTEGER PRIMARY KEY REFERENCES declarations(id),
            reason TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE TABLE tracker_events (
            id INTEGER PRIMARY KEY,
            tracker_id INTEGER NOT NULL REFERENCES trackers(id),
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            made_on TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE TABLE moderators (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            user_id TEXT NOT NULL,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (platform, workspace, user_id)
        );
        """,
        postgres="""
        CREATE TABLE bodies (
            slug TEXT COLLATE "C" PRIMARY KEY,
            name TEXT COLLATE "C" NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE members (
            body TEXT COLLATE "C" NOT NULL REFERENCES bodies(slug) ON DELETE CASCADE,
            code TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            joined TEXT COLLATE "C" NOT NULL,
            left_on TEXT COLLATE "C",
            population BIGINT,
            aliases TEXT COLLATE "C" NOT NULL DEFAULT '[]',
            PRIMARY KEY (body, code)
        );
        CREATE TABLE trackers (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            slug TEXT COLLATE "C" NOT NULL UNIQUE,
            title TEXT COLLATE "C" NOT NULL,
            body TEXT COLLATE "C" NOT NULL REFERENCES bodies(slug),
            kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('selection', 'approval')),
            rule TEXT COLLATE "C" NOT NULL,
            opened TEXT COLLATE "C" NOT NULL,
            status TEXT COLLATE "C" NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'decided', 'abandoned')),
            outcome TEXT COLLATE "C",
            closed_on TEXT COLLATE "C",
            subject TEXT COLLATE "C",
            stages TEXT COLLATE "C" NOT NULL DEFAULT '[]',
            created_by TEXT COLLATE "C" NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE candidates (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            tracker_id BIGINT NOT NULL REFERENCES trackers(id),
            name TEXT COLLATE "C" NOT NULL,
            withdrawn_on TEXT COLLATE "C",
            UNIQUE (tracker_id, name)
        );
        CREATE TABLE declarations (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            tracker_id BIGINT NOT NULL REFERENCES trackers(id),
            member TEXT COLLATE "C" NOT NULL,
            stance TEXT COLLATE "C" NOT NULL,
            candidate_id BIGINT REFERENCES candidates(id),
            stage TEXT COLLATE "C",
            made_on TEXT COLLATE "C" NOT NULL,
            source TEXT COLLATE "C",
            quote TEXT COLLATE "C",
            speaker TEXT COLLATE "C",
            confidence TEXT COLLATE "C" NOT NULL DEFAULT 'official',
            condition TEXT COLLATE "C",
            recorded_by TEXT COLLATE "C" NOT NULL,
            recorded_at TEXT COLLATE "C" NOT NULL
        );
        -- A tally reads one index seek per member: latest (made_on, id) of that member.
        CREATE INDEX declarations_position
            ON declarations (tracker_id, member, made_on, id);
        -- History pages read the newest declarations of a tracker without sorting all of them.
        CREATE INDEX declarations_timeline
            ON declarations (tracker_id, made_on, id);
        CREATE TABLE retractions (
            declaration_id BIGINT PRIMARY KEY REFERENCES declarations(id),
            reason TEXT COLLATE "C" NOT NULL,
            recorded_by TEXT COLLATE "C" NOT NULL,
            recorded_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE tracker_events (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            tracker_id BIGINT NOT NULL REFERENCES trackers(id),
            kind TEXT COLLATE "C" NOT NULL,
            detail TEXT COLLATE "C" NOT NULL,
            made_on TEXT COLLATE "C" NOT NULL,
            recorded_by TEXT COLLATE "C" NOT NULL,
            recorded_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE moderators (
            platform TEXT COLLATE "C" NOT NULL,
            workspace TEXT COLLATE "C" NOT NULL,
            user_id TEXT COLLATE "C" NOT NULL,
            added_by TEXT COLLATE "C" NOT NULL,
            added_at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (platform, workspace, user_id)
        );
        """,
    )


def m002_alerts(db: Migration) -> None:
    """Channel subscriptions, what happened (alert events) and the outbox that delivers it."""
    db.script(
        sqlite="""
        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            tracker_id INTEGER REFERENCES trackers(id),  -- NULL: every tracker ('all')
            mode TEXT NOT NULL CHECK (mode IN ('every', 'milestones', 'digest')),
            digest_at TEXT,                               -- HH:MM, local to tz (digest only)
            tz TEXT NOT NULL DEFAULT 'UTC',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            removed_at TEXT                               -- unsubscribed (kept for the outbox)
        );
        CREATE UNIQUE INDEX subscriptions_scope
            ON subscriptions (platform, workspace, channel, COALESCE(tracker_id, 0));
        CREATE TABLE alert_channels (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            gone_count INTEGER NOT NULL DEFAULT 0,
            paused_at TEXT,
            paused_reason TEXT,
            PRIMARY KEY (platform, workspace, channel)
        );
        CREATE TABLE alert_events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            tracker_id INTEGER REFERENCES trackers(id),
            declaration_id INTEGER REFERENCES declarations(id),
            summary TEXT NOT NULL,
            reply TEXT NOT NULL,                          -- the 'every' alert, as JSON
            milestone_reply TEXT,                         -- set when the outcome changed
            digest_key TEXT UNIQUE,                       -- 'subscription:local date' for digests
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX alert_events_timeline ON alert_events (tracker_id, recorded_at);
        CREATE TABLE alert_outbox (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES alert_events(id),
            subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            variant TEXT NOT NULL CHECK (variant IN ('every', 'milestone', 'digest')),
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt_at TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            message_id TEXT,
            UNIQUE (event_id, subscription_id)
        );
        -- A channel's worker reads its oldest pending row; the scan lists channels with work.
        CREATE INDEX alert_outbox_pending
            ON alert_outbox (platform, workspace, channel, id) WHERE status = 'pending';
        """,
        postgres="""
        CREATE TABLE subscriptions (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            platform TEXT COLLATE "C" NOT NULL,
            workspace TEXT COLLATE "C" NOT NULL,
            channel TEXT COLLATE "C" NOT NULL,
            tracker_id BIGINT REFERENCES trackers(id),  -- NULL: every tracker ('all')
            mode TEXT COLLATE "C" NOT NULL CHECK (mode IN ('every', 'milestones', 'digest')),
            -- HH:MM, local to tz (digest only)
            digest_at TEXT COLLATE "C",
            tz TEXT COLLATE "C" NOT NULL DEFAULT 'UTC',
            created_by TEXT COLLATE "C" NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL,
            updated_at TEXT COLLATE "C" NOT NULL,
            -- unsubscribed (kept for the outbox)
            removed_at TEXT COLLATE "C"
        );
        CREATE UNIQUE INDEX subscriptions_scope
            ON subscriptions (platform, workspace, channel, COALESCE(tracker_id, 0));
        CREATE TABLE alert_channels (
            platform TEXT COLLATE "C" NOT NULL,
            workspace TEXT COLLATE "C" NOT NULL,
            channel TEXT COLLATE "C" NOT NULL,
            gone_count BIGINT NOT NULL DEFAULT 0,
            paused_at TEXT COLLATE "C",
            paused_reason TEXT COLLATE "C",
            PRIMARY KEY (platform, workspace, channel)
        );
        CREATE TABLE alert_events (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            kind TEXT COLLATE "C" NOT NULL,
            tracker_id BIGINT REFERENCES trackers(id),
            declaration_id BIGINT REFERENCES declarations(id),
            summary TEXT COLLATE "C" NOT NULL,
            -- the 'every' alert, as JSON
            reply TEXT COLLATE "C" NOT NULL,
            -- set when the outcome changed
            milestone_reply TEXT COLLATE "C",
            -- 'subscription:local date' for digests
            digest_key TEXT COLLATE "C" UNIQUE,
            recorded_at TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX alert_events_timeline ON alert_events (tracker_id, recorded_at);
        CREATE TABLE alert_outbox (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            event_id BIGINT NOT NULL REFERENCES alert_events(id),
            subscription_id BIGINT NOT NULL REFERENCES subscriptions(id),
            platform TEXT COLLATE "C" NOT NULL,
            workspace TEXT COLLATE "C" NOT NULL,
            channel TEXT COLLATE "C" NOT NULL,
            variant TEXT COLLATE "C" NOT NULL CHECK (variant IN ('every', 'milestone', 'digest')),
            status TEXT COLLATE "C" NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'cancelled')),
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT COLLATE "C",
            last_attempt_at TEXT COLLATE "C",
            created_at TEXT COLLATE "C" NOT NULL,
            sent_at TEXT COLLATE "C",
            message_id TEXT COLLATE "C",
            UNIQUE (event_id, subscription_id)
        );
        -- A channel's worker reads its oldest pending row; the scan lists channels with work.
        CREATE INDEX alert_outbox_pending
            ON alert_outbox (platform, workspace, channel, id) WHERE status = 'pending';
        """,
    )


_M003 = (
    "CREATE INDEX alert_outbox_cancelled "
    "ON alert_outbox (platform, workspace, channel) WHERE status = 'cancelled'"
)


def m003_alert_outbox_set_aside(db: Migration) -> None:
    """/tally subscriptions counts a channel's alerts set aside as undeliverable: keep it cheap."""
    db.script(
        sqlite=_M003,
        postgres=_M003,
    )


def m004_record_keeping(db: Migration) -> None:
    """Editable trackers and amendable declarations, without erasing history.

    A tracker edit, reopening, reinstatement, candidate change or archiving is a row in
    tracker_events (kind, detail as JSON of what changed); an amendment is a row of its own, and a
    declaration reads as the original with its amendments applied in order.
    """
    db.script(
        sqlite="""
        ALTER TABLE trackers ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'
            CHECK (visibility IN ('public', 'private'));
        ALTER TABLE trackers ADD COLUMN archived_at TEXT;
        CREATE TABLE amendments (
            id INTEGER PRIMARY KEY,
            declaration_id INTEGER NOT NULL REFERENCES declarations(id),
            changes TEXT NOT NULL,                        -- JSON: {field: new value}
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX amendments_declaration ON amendments (declaration_id, id);
        CREATE INDEX tracker_events_timeline ON tracker_events (tracker_id, id);
        """,
        postgres="""
        ALTER TABLE trackers ADD COLUMN visibility TEXT COLLATE "C" NOT NULL DEFAULT 'private'
            CHECK (visibility IN ('public', 'private'));
        ALTER TABLE trackers ADD COLUMN archived_at TEXT COLLATE "C";
        CREATE TABLE amendments (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            declaration_id BIGINT NOT NULL REFERENCES declarations(id),
            -- JSON: {field: new value}
            changes TEXT COLLATE "C" NOT NULL,
            recorded_by TEXT COLLATE "C" NOT NULL,
            recorded_at TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX amendments_declaration ON amendments (declaration_id, id);
        CREATE INDEX tracker_events_timeline ON tracker_events (tracker_id, id);
        """,
    )


def m005_rules(db: Migration) -> None:
    """A member may serve several terms (UN Security Council elected members): the gaps
    between its terms, as JSON [[from, until], ...]; joined/left stay the first and last day."""
    db.script(
        sqlite="ALTER TABLE members ADD COLUMN breaks TEXT NOT NULL DEFAULT '[]'",
        postgres="""ALTER TABLE members ADD COLUMN breaks TEXT COLLATE "C" NOT NULL DEFAULT '[]'""",
    )


def m006_cards(db: Migration) -> None:
    """`/tally subscribe ... cards=on`: the channel's milestone alerts carry the tally card."""
    db.script(
        sqlite="ALTER TABLE subscriptions ADD COLUMN cards INTEGER NOT NULL DEFAULT 0",
        postgres="ALTER TABLE subscriptions ADD COLUMN cards BIGINT NOT NULL DEFAULT 0",
    )


def m007_replay(db: Migration) -> None:
    """Guards every process of a deployment shares: the Slack requests already seen (a replay
    of one inside Slack's 5-minute window is refused) and each user's recent writes (the
    per-minute write limit). Both are pruned as they are written; times are Unix seconds."""
    db.script(
        sqlite="""
        CREATE TABLE seen_requests (
            signature TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            expires_at REAL NOT NULL,
            PRIMARY KEY (signature, timestamp)
        ) WITHOUT ROWID;
        CREATE INDEX seen_requests_expiry ON seen_requests (expires_at);
        CREATE TABLE recent_writes (
            actor TEXT NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX recent_writes_actor ON recent_writes (actor, at);
        CREATE INDEX recent_writes_age ON recent_writes (at);
        """,
        postgres="""
        CREATE TABLE seen_requests (
            signature TEXT COLLATE "C" NOT NULL,
            timestamp BIGINT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (signature, timestamp)
        );
        CREATE INDEX seen_requests_expiry ON seen_requests (expires_at);
        CREATE TABLE recent_writes (
            actor TEXT COLLATE "C" NOT NULL,
            at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX recent_writes_actor ON recent_writes (actor, at);
        CREATE INDEX recent_writes_age ON recent_writes (at);
        """,
    )


def m008_installations(db: Migration) -> None:
    """A distributed Slack app: each workspace's installation (its bot token, sealed when a key
    is set) and the one-time OAuth states of installs under way. An org-wide install keys on
    its enterprise id with team_id ''; '' stands for "none" so the key never holds NULL."""
    db.script(
        sqlite="""
        CREATE TABLE installations (
            enterprise_id TEXT NOT NULL DEFAULT '',
            team_id TEXT NOT NULL DEFAULT '',
            is_enterprise_install INTEGER NOT NULL DEFAULT 0,
            bot_token TEXT NOT NULL,
            bot_id TEXT,
            bot_user_id TEXT,
            bot_scopes TEXT NOT NULL DEFAULT '',
            installer_user_id TEXT,
            app_id TEXT,
            team_name TEXT,
            enterprise_name TEXT,
            installed_at TEXT NOT NULL,
            PRIMARY KEY (enterprise_id, team_id)
        );
        CREATE TABLE oauth_states (
            state TEXT PRIMARY KEY,
            expires_at TEXT NOT NULL
        );
        """,
        postgres="""
        CREATE TABLE installations (
            enterprise_id TEXT COLLATE "C" NOT NULL DEFAULT '',
            team_id TEXT COLLATE "C" NOT NULL DEFAULT '',
            is_enterprise_install BIGINT NOT NULL DEFAULT 0,
            bot_token TEXT COLLATE "C" NOT NULL,
            bot_id TEXT COLLATE "C",
            bot_user_id TEXT COLLATE "C",
            bot_scopes TEXT COLLATE "C" NOT NULL DEFAULT '',
            installer_user_id TEXT COLLATE "C",
            app_id TEXT COLLATE "C",
            team_name TEXT COLLATE "C",
            enterprise_name TEXT COLLATE "C",
            installed_at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (enterprise_id, team_id)
        );
        CREATE TABLE oauth_states (
            state TEXT COLLATE "C" PRIMARY KEY,
            expires_at TEXT COLLATE "C" NOT NULL
        );
        """,
    )


LOCAL_COMMUNITY = "local"
"""The community of the console and `tallybot exec`, and the one an upgraded deployment keeps."""


_M009_POSTGRES = """
        CREATE TABLE communities (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            slug TEXT COLLATE "C" NOT NULL UNIQUE,
            name TEXT COLLATE "C" NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE community_members (
            platform TEXT COLLATE "C" NOT NULL,
            -- Slack team id, Discord guild id
            workspace TEXT COLLATE "C" NOT NULL,
            -- Slack Enterprise Grid id, if any
            enterprise TEXT COLLATE "C",
            community_id BIGINT NOT NULL REFERENCES communities(id),
            joined_at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (platform, workspace)
        );
        CREATE INDEX community_members_community ON community_members (community_id);
        CREATE TABLE community_invites (
            code TEXT COLLATE "C" PRIMARY KEY,
            community_id BIGINT NOT NULL REFERENCES communities(id),
            created_by TEXT COLLATE "C" NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL,
            expires_at TEXT COLLATE "C" NOT NULL,
            used_by TEXT COLLATE "C",
            used_at TEXT COLLATE "C"
        );
        ALTER TABLE moderators ADD COLUMN community_id BIGINT REFERENCES communities(id);
        ALTER TABLE subscriptions ADD COLUMN community_id BIGINT REFERENCES communities(id);
        ALTER TABLE bodies ADD COLUMN community_id BIGINT REFERENCES communities(id);
        ALTER TABLE trackers ADD COLUMN community_id BIGINT REFERENCES communities(id)
    """


def m009_communities(db: Migration) -> None:
    """Communities own trackers, moderators, subscriptions and imported bodies; each (platform,
    workspace) belongs to exactly one. A database from before is one community ('local')
    holding every workspace and server it has seen, so a deployment that shared everything
    keeps sharing it. Tracker slugs become unique per community (the table is rebuilt: SQLite
    cannot drop a UNIQUE constraint; `migrate` runs this with foreign keys off and checks them
    before the commit). PostgreSQL drops the constraint instead, and has no data from before."""
    sqlite = """
        CREATE TABLE communities (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE community_members (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,                      -- Slack team id, Discord guild id
            enterprise TEXT,                              -- Slack Enterprise Grid id, if any
            community_id INTEGER NOT NULL REFERENCES communities(id),
            joined_at TEXT NOT NULL,
            PRIMARY KEY (platform, workspace)
        );
        CREATE INDEX community_members_community ON community_members (community_id);
        CREATE TABLE community_invites (
            code TEXT PRIMARY KEY,
            community_id INTEGER NOT NULL REFERENCES communities(id),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_by TEXT,
            used_at TEXT
        );
        ALTER TABLE moderators ADD COLUMN community_id INTEGER REFERENCES communities(id);
        ALTER TABLE subscriptions ADD COLUMN community_id INTEGER REFERENCES communities(id);
        ALTER TABLE bodies ADD COLUMN community_id INTEGER REFERENCES communities(id);
        ALTER TABLE trackers ADD COLUMN community_id INTEGER REFERENCES communities(id)
    """
    postgres = f"""{_M009_POSTGRES};
        ALTER TABLE trackers DROP CONSTRAINT trackers_slug_key;
        CREATE UNIQUE INDEX trackers_community_slug ON trackers (community_id, slug)
    """
    db.script(sqlite=sqlite, postgres=postgres)
    if db.sqlite is not None:
        _one_community_for_what_exists(db.sqlite)
        _slugs_unique_per_community(db.sqlite)


_SHIPPED_BODIES = ("eu", "nato", "unsc")
"""Bodies that ship with tallybot stay global (community_id NULL); imported ones are owned."""


def _one_community_for_what_exists(db: Database) -> None:
    seen = _workspaces_seen(db)
    has_rows = any(
        db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
        for table in ("trackers", "moderators", "subscriptions")
    )
    if not seen and not has_rows:
        return  # a new database: communities are made on first use
    now = db.execute("SELECT strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')").fetchone()[0]
    db.execute(
        "INSERT INTO communities (id, slug, name, created_at) VALUES (1, ?, ?, ?)",
        [LOCAL_COMMUNITY, "Local", now],
    )
    db.conn.executemany(
        "INSERT INTO community_members (platform, workspace, community_id, joined_at) "
        "VALUES (?, ?, 1, ?)",
        [
            (platform, workspace, now)
            for platform, workspace in sorted(seen | {("console", "local")})
        ],
    )
    for table in ("trackers", "moderators", "subscriptions"):
        db.execute(f"UPDATE {table} SET community_id = 1")
    marks = ",".join("?" * len(_SHIPPED_BODIES))
    db.execute(f"UPDATE bodies SET community_id = 1 WHERE slug NOT IN ({marks})", _SHIPPED_BODIES)


def _workspaces_seen(db: Database) -> set[tuple[str, str]]:
    """Every (platform, workspace) the database names: moderators, subscriptions, alert
    channels, and whoever recorded anything (`platform:workspace:user (name)`)."""
    seen: set[tuple[str, str]] = set()
    for table in ("moderators", "subscriptions", "alert_channels"):
        seen |= {(r[0], r[1]) for r in db.execute(f"SELECT platform, workspace FROM {table}")}
    refs = [
        ("declarations", "recorded_by"),
        ("retractions", "recorded_by"),
        ("tracker_events", "recorded_by"),
        ("amendments", "recorded_by"),
        ("trackers", "created_by"),
        ("moderators", "added_by"),
    ]
    for table, column in refs:
        for (ref,) in db.execute(f"SELECT DISTINCT {column} FROM {table}"):
            parts = str(ref).split(":", 2)
            if len(parts) == 3 and parts[0] and parts[1]:
                seen.add((parts[0], parts[1]))
    return seen


def _slugs_unique_per_community(db: Database) -> None:
    """Rebuild trackers from its own CREATE text (so columns other migrations added stay), with
    `slug` unique per community instead of across the database."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'trackers'")
    create = str(sql.fetchone()[0])
    unique = "slug TEXT NOT NULL UNIQUE"
    if unique not in create:
        raise RuntimeError("trackers.slug is not declared as m001 made it; cannot rebuild")
    create = create.replace(unique, "slug TEXT NOT NULL", 1)
    create = create.replace("CREATE TABLE trackers", "CREATE TABLE trackers_rebuilt", 1)
    # Indexes and triggers another migration may have put on trackers go with the old table:
    # keep their text to create them again on the new one.
    extras = [
        str(r[0])
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'trackers' "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        )
    ]
    db.execute(create)
    db.execute("INSERT INTO trackers_rebuilt SELECT * FROM trackers")
    db.execute("DROP TABLE trackers")
    db.execute("ALTER TABLE trackers_rebuilt RENAME TO trackers")
    for extra in extras:
        db.execute(extra)
    db.execute("CREATE UNIQUE INDEX trackers_community_slug ON trackers (community_id, slug)")


_LEASES = """
    CREATE TABLE alert_leases (
        platform TEXT{c} NOT NULL,
        workspace TEXT{c} NOT NULL,
        channel TEXT{c} NOT NULL,
        holder TEXT{c},                               -- the deliverer working the channel, if any
        lease_until TEXT{c},                          -- ISO UTC, fixed width: free again after it
        pace TEXT{c},                                 -- the channel's recent sends, for pacing
        PRIMARY KEY (platform, workspace, channel)
    );
    CREATE INDEX alert_leases_holder ON alert_leases (holder);
    INSERT INTO alert_leases (platform, workspace, channel)
        SELECT DISTINCT platform, workspace, channel FROM alert_outbox WHERE status = 'pending'
"""


def m010_delivery_leases(db: Migration) -> None:
    """One deliverer per channel across every process: a lease row per channel with alerts,
    claimed with an expiry (a killed holder's channels are taken over), and the channel's pace
    beside it so another process resuming the channel keeps the platform's rate."""
    db.script(sqlite=_LEASES.format(c=""), postgres=_LEASES.format(c=' COLLATE "C"'))


_SUGGESTIONS = """
    CREATE TABLE suggestions (
        id {key},
        community_id {int} NOT NULL REFERENCES communities(id),
        tracker_id {int} NOT NULL REFERENCES trackers(id),
        member TEXT{c} NOT NULL,
        stance TEXT{c},                               -- NULL: a feed item; the moderator picks
        candidate_id {int} REFERENCES candidates(id),
        stage TEXT{c},
        made_on TEXT{c} NOT NULL,
        explanation TEXT{c},
        status TEXT{c} NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'confirmed', 'rejected', 'expired')),
        created_at TEXT{c} NOT NULL,
        updated_at TEXT{c} NOT NULL,
        expires_at TEXT{c} NOT NULL,
        decided_by TEXT{c},
        decided_at TEXT{c},
        reason TEXT{c},
        declaration_id {int} REFERENCES declarations(id)
    );
    CREATE INDEX suggestions_queue ON suggestions (community_id, status, tracker_id, id);
    CREATE INDEX suggestions_same ON suggestions (tracker_id, member, status);
    CREATE TABLE suggestion_sources (
        id {key},
        suggestion_id {int} NOT NULL REFERENCES suggestions(id),
        url TEXT{c} NOT NULL,
        quote TEXT{c},
        speaker TEXT{c},
        made_on TEXT{c} NOT NULL,
        suggested_by TEXT{c} NOT NULL,                -- actor ref, or 'feed:<url>'
        suggester TEXT{c} NOT NULL,                   -- the ref without the display name
        added_at TEXT{c} NOT NULL
    );
    CREATE INDEX suggestion_sources_suggestion ON suggestion_sources (suggestion_id, id);
    CREATE INDEX suggestion_sources_suggester ON suggestion_sources (suggester, added_at)
"""

SUBSCRIPTION_MODES_BEFORE = "CHECK (mode IN ('every', 'milestones', 'digest'))"
SUBSCRIPTION_MODES = "CHECK (mode IN ('every', 'milestones', 'digest', 'suggestions'))"


def m011_suggestions(db: Migration) -> None:
    """Suggestions waiting for review, each with every source offered for it (duplicates
    merge), and a fourth subscription mode that delivers them to a moderator channel.

    SQLite cannot change a CHECK constraint: subscriptions is rebuilt from its own CREATE text
    with the new list of modes, as m009 rebuilt trackers; PostgreSQL swaps the constraint."""
    db.script(
        sqlite=_SUGGESTIONS.format(key="INTEGER PRIMARY KEY", int="INTEGER", c=""),
        postgres=_SUGGESTIONS.format(
            key="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            int="BIGINT",
            c=' COLLATE "C"',
        )
        + f""";
        ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_mode_check;
        ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_mode_check {SUBSCRIPTION_MODES}
        """,
    )
    if db.sqlite is not None:
        _rebuild(db.sqlite, "subscriptions", SUBSCRIPTION_MODES_BEFORE, SUBSCRIPTION_MODES)


def _rebuild(db: Database, table: str, old: str, new: str) -> None:
    """Rebuild `table` from its CREATE text with `old` replaced by `new`, keeping its rows,
    indexes and triggers (foreign keys are off during migrations, checked before commit)."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
    create = str(sql.fetchone()[0])
    if old not in create:
        raise RuntimeError(f"{table} is not declared as expected; cannot rebuild it")
    create = create.replace(old, new, 1)
    create = create.replace(f"CREATE TABLE {table}", f"CREATE TABLE {table}_rebuilt", 1)
    extras = [
        str(r[0])
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            [table],
        )
    ]
    db.execute(create)
    db.execute(f"INSERT INTO {table}_rebuilt SELECT * FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    for extra in extras:
        db.execute(extra)


FEEDS_DDL = """
    CREATE TABLE feeds (
        id {id},
        community_id INTEGER NOT NULL REFERENCES communities(id),
        url TEXT NOT NULL,
        tracker_id INTEGER NOT NULL REFERENCES trackers(id),
        keywords TEXT NOT NULL DEFAULT '[]',          -- JSON list of phrases
        interval_seconds INTEGER NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        title TEXT,                                   -- the feed's own, once read
        etag TEXT,
        modified TEXT,                                -- Last-Modified as the server sent it
        last_checked_at TEXT,
        last_read_at TEXT,
        last_status TEXT,
        failures INTEGER NOT NULL DEFAULT 0,          -- errors in a row (the backoff)
        last_error TEXT,
        next_try_at TEXT,
        suggested INTEGER NOT NULL DEFAULT 0,
        UNIQUE (community_id, url, tracker_id)
    );
    CREATE INDEX feeds_due ON feeds (next_try_at);
    CREATE TABLE feed_items_seen (
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        item_key TEXT NOT NULL,                       -- the item's id, else its link
        seen_at TEXT NOT NULL,
        PRIMARY KEY (feed_id, item_key)
    )
"""
"""Plain SQL for both engines; `{id}` is the engine's auto-numbered key ('INTEGER PRIMARY KEY'
on SQLite, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY' on PostgreSQL)."""
SQLITE_ID = "INTEGER PRIMARY KEY"
FEEDS_POSTGRES = """
    CREATE TABLE feeds (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        community_id BIGINT NOT NULL REFERENCES communities(id),
        url TEXT COLLATE "C" NOT NULL,
        tracker_id BIGINT NOT NULL REFERENCES trackers(id),
        keywords TEXT COLLATE "C" NOT NULL DEFAULT '[]',
        interval_seconds BIGINT NOT NULL,
        added_by TEXT COLLATE "C" NOT NULL,
        added_at TEXT COLLATE "C" NOT NULL,
        title TEXT COLLATE "C",
        etag TEXT COLLATE "C",
        modified TEXT COLLATE "C",
        last_checked_at TEXT COLLATE "C",
        last_read_at TEXT COLLATE "C",
        last_status TEXT COLLATE "C",
        failures BIGINT NOT NULL DEFAULT 0,
        last_error TEXT COLLATE "C",
        next_try_at TEXT COLLATE "C",
        suggested BIGINT NOT NULL DEFAULT 0,
        UNIQUE (community_id, url, tracker_id)
    );
    CREATE INDEX feeds_due ON feeds (next_try_at);
    CREATE TABLE feed_items_seen (
        feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        item_key TEXT COLLATE "C" NOT NULL,
        seen_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (feed_id, item_key)
    )
"""
"""m012's PostgreSQL form (identity key, BIGINT, byte-order text as the other steps'), for the
engine's migration runner; the alias refresh is the same UPDATE on both."""


def m012_feeds(db: Migration) -> None:
    """News feeds (issue 13): each feed a community reads for a tracker, with what it needs to
    read politely (ETag, Last-Modified, errors in a row, next try), and the items it has seen.
    Shipped bodies already in a SQLite file take the shipped aliases (French and German names
    and adjectives), which feed items are read with; a PostgreSQL database is created from the
    first step and saves the shipped bodies with today's aliases when the store opens."""
    db.script(sqlite=FEEDS_DDL.format(id=SQLITE_ID), postgres=FEEDS_POSTGRES)
    if db.sqlite is not None:
        refresh_shipped_aliases(db.sqlite)


def refresh_shipped_aliases(db: Database) -> None:
    """Aliases of the shipped bodies' members as bot/data lists them today (codes, names and
    dates are left alone: only the other spellings change)."""
    import json

    from bot.members import SHIPPED_BODIES, shipped_body

    for slug in SHIPPED_BODIES:
        for member in shipped_body(slug).members:
            db.execute(
                "UPDATE members SET aliases = ? WHERE body = ? AND code = ?",
                [json.dumps(list(member.aliases), ensure_ascii=False), slug, member.code],
            )


STEPS: tuple[Callable[[Migration], None], ...] = (
    m001_core,
    m002_alerts,
    m003_alert_outbox_set_aside,
    m004_record_keeping,
    m005_rules,
    m006_cards,
    m007_replay,
    m008_installations,
    m009_communities,
    m010_delivery_leases,
    m011_suggestions,
    m012_feeds,
)
"""Every migration, in the order they apply; a new one goes at the end, never renumbered."""


def migrations() -> Migrations:
    """The sqlite-utils migration set of STEPS (imports sqlite-utils: only to apply them)."""
    from sqlite_utils import Migrations

    steps = Migrations(MIGRATION_SET)
    for step in STEPS:
        steps(name=step.__name__)(_on_sqlite(step))
    return steps


def _on_sqlite(step: Callable[[Migration], None]) -> Callable[[Database], None]:
    def apply(db: Database) -> None:
        step(Migration("sqlite", db.execute, db))

    return apply
