// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>Settings of the message store. The daemon fills <see cref="DatabasePath"/> from its StateDirectory.</summary>
public sealed record MessageStoreSettings
{
    /// <summary>Path of the SQLite file, e.g. /var/lib/imue-agent/messages.db. Must not be a symbolic link.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>How long a statement waits for a lock held by another connection before failing.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Cap on one body or raw part. Large Message Mode bodies are bounded by the MSRP max-size before this.</summary>
    public int MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Cap on recipients of one message (ad-hoc group lists included).</summary>
    public int MaxRecipients { get; init; } = 256;

    /// <summary>Read-only connections kept open for queries (writes use one dedicated connection).</summary>
    public int ReaderPoolSize { get; init; } = 2;
}
