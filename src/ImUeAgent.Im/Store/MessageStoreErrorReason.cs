// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>Why the message store refused an operation or could not open. A closed set: callers switch on it.</summary>
public enum MessageStoreErrorReason
{
    /// <summary>The database path is a symbolic link; the store refuses to follow it (see <see cref="StoreFile"/>).</summary>
    PathIsSymbolicLink,

    /// <summary>The database path (or its -wal/-shm/.lock companion) exists but is not a regular file.</summary>
    PathIsNotRegularFile,

    /// <summary>Another process (a second daemon) holds the store's lock file.</summary>
    StoreInUse,

    /// <summary>The file is not an SQLite database or is damaged.</summary>
    NotADatabase,

    /// <summary>The file was written by a newer schema than this build knows; it is not touched.</summary>
    SchemaTooNew,

    /// <summary>A forward migration step failed; the transaction was rolled back and the file is unchanged.</summary>
    MigrationFailed,

    /// <summary>SQLite would not switch to WAL journal mode (e.g. a filesystem without shared-memory support).</summary>
    WalUnavailable,

    /// <summary>The disk is full: nothing was committed, so nothing may be acknowledged.</summary>
    DiskFull,

    /// <summary>An I/O error from the filesystem: nothing was committed.</summary>
    IoError,

    /// <summary>A text field is longer than its cap.</summary>
    FieldTooLong,

    /// <summary>A text field contains CR, LF or NUL, which the store's list encoding and SIP header values forbid.</summary>
    FieldHasControlCharacter,

    /// <summary>A required field is empty.</summary>
    FieldEmpty,

    /// <summary>The body (or raw part) is larger than <see cref="MessageStoreSettings.MaxBodyBytes"/>.</summary>
    BodyTooLarge,

    /// <summary>More recipients, feature tags or identities than the caps allow.</summary>
    TooManyItems,

    /// <summary>A received message carries no identity, so a re-push could not be recognised.</summary>
    NoIdentity,

    /// <summary>No message with that id.</summary>
    UnknownMessage,

    /// <summary>The outbox state machine does not allow that event in the message's current state.</summary>
    InvalidTransition,

    /// <summary>An explicit outgoing Message-ID is already used by another outgoing message.</summary>
    MessageIdConflict,
}
