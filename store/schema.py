"""Forward-only schema migrations (sqlite-utils Migrations: each runs in one transaction)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("tallybot")


@migrations()
def m001_core(db: Database) -> None:
    db.executescript(
        """
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
        """
    )
