// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>
/// The schema as a list of forward migrations, tracked by <c>PRAGMA user_version</c>. Add a step as a new entry at
/// the end; never edit a step that has shipped. Times are Unix milliseconds UTC; lists (recipients, feature tags) are
/// joined with LF, which SIP URIs and header values cannot contain raw. Enum columns hold the persisted enum values.
/// </summary>
internal static class StoreSchema
{
    public const string V1 = """
        CREATE TABLE inbox (
            id                  INTEGER PRIMARY KEY AUTOINCREMENT,
            direction           INTEGER NOT NULL CHECK (direction IN (0, 1)),
            source              INTEGER NOT NULL CHECK (source BETWEEN 0 AND 3),
            sender_uri          TEXT,
            sender_display_name TEXT,
            recipients          TEXT NOT NULL,
            conversation_id     TEXT,
            call_id             TEXT,
            message_id          TEXT,
            received_at         INTEGER NOT NULL,
            original_date       INTEGER,
            content_type        TEXT NOT NULL,
            body                BLOB NOT NULL,
            imdn_requested      INTEGER NOT NULL DEFAULT 0,
            imdn_sent           INTEGER NOT NULL DEFAULT 0,
            raw_part            BLOB,
            unparsed_reason     TEXT,
            acknowledged_at     INTEGER,
            CHECK ((raw_part IS NULL) = (unparsed_reason IS NULL))
        );
        CREATE INDEX inbox_unacknowledged ON inbox (id) WHERE acknowledged_at IS NULL;
        CREATE INDEX inbox_acknowledged_at ON inbox (acknowledged_at) WHERE acknowledged_at IS NOT NULL;

        -- Identities outlive a purged message (inbox_id becomes NULL), so a late re-push is still recognised.
        CREATE TABLE inbox_identity (
            kind     INTEGER NOT NULL,
            scope    TEXT NOT NULL,
            value    TEXT NOT NULL,
            inbox_id INTEGER REFERENCES inbox (id) ON DELETE SET NULL,
            PRIMARY KEY (kind, scope, value)
        ) WITHOUT ROWID;
        CREATE INDEX inbox_identity_by_inbox ON inbox_identity (inbox_id);

        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id      TEXT NOT NULL UNIQUE,
            application_ref TEXT UNIQUE,
            recipients      TEXT NOT NULL,
            feature_tags    TEXT NOT NULL,
            content_type    TEXT NOT NULL,
            body            BLOB NOT NULL,
            imdn_requested  INTEGER NOT NULL DEFAULT 0,
            mode_hint       INTEGER NOT NULL DEFAULT 0,
            state           INTEGER NOT NULL CHECK (state BETWEEN 0 AND 5),
            failure_reason  INTEGER NOT NULL DEFAULT 0,
            status_code     INTEGER,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL
        );
        CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 0;
        CREATE INDEX outbox_sending ON outbox (id) WHERE state = 1;
        CREATE INDEX outbox_finished ON outbox (updated_at) WHERE state >= 2;

        -- The delivery-state stream: append-only, seq never reused (AUTOINCREMENT).
        CREATE TABLE outbox_event (
            seq            INTEGER PRIMARY KEY AUTOINCREMENT,
            outbox_id      INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
            state          INTEGER NOT NULL,
            recipient      TEXT,
            disposition    INTEGER,
            failure_reason INTEGER NOT NULL DEFAULT 0,
            status_code    INTEGER,
            at             INTEGER NOT NULL
        );
        CREATE INDEX outbox_event_by_outbox ON outbox_event (outbox_id);
        -- One event per (message, disposition, recipient): a repeated IMDN is not a new event.
        CREATE UNIQUE INDEX outbox_event_disposition
            ON outbox_event (outbox_id, disposition, ifnull(recipient, '')) WHERE disposition IS NOT NULL;
        """;

    /// <summary>
    /// v2: the local application RFC 3841 routed each received message to (ImClientSettings.Applications), so the
    /// routing survives a restart and reaches readers of the store (the daemon's inbox listing). NULL for rows
    /// stored before v2 and when no application is configured. The partial index serves the per-application
    /// listing of unacknowledged messages in id order; acknowledged rows stay out of it, as in inbox_unacknowledged.
    /// </summary>
    public const string V2 = """
        ALTER TABLE inbox ADD COLUMN application_id TEXT;
        CREATE INDEX inbox_unacknowledged_by_application ON inbox (application_id, id) WHERE acknowledged_at IS NULL;
        """;

    /// <summary>All steps, in order. The last one's version is what this build writes.</summary>
    public static readonly IReadOnlyList<SchemaMigration> Migrations =
    [
        new SchemaMigration(1, V1),
        new SchemaMigration(2, V2),
    ];
}
